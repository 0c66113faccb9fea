// The chat page (examples/public) in a real headless Chromium against the Rust chat example
// (target/release/examples/chat): names, notices, messages, shouts, the online count,
// leaving, and the history a late visitor gets. Everything is read from the page's DOM.
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), driven by playwright-core;
// no browser is downloaded. Waits have a deadline that only turns a hang into a failure.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, startChat, launchBrowser, visit as open, pickName, send, online, item, messages } from "./harness.mjs";

let server;
let browser;
/** Errors the pages reported (uncaught exceptions, console errors); the test asserts none. */
const pageErrors = [];

before(async () => {
  server = await startChat();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.close();
});

/** The chat in a new context (see harness.mjs). */
const visit = (label) => open(browser, server.url, label, pageErrors);

test("two people chat in the browser, one leaves, a late visitor gets the history", async () => {
  const ada = await visit("ada");
  const grace = await visit("grace");
  await online(ada, 2);
  await online(grace, 2);

  await pickName(ada, "Ada");
  await item(grace, "notice", "Ada joined");
  await pickName(grace, "Grace");
  await item(ada, "notice", "Grace joined");
  assert.equal(await ada.locator("#messages li.notice", { hasText: "Ada joined" }).count(), 0,
    "nobody is told about their own arrival");

  // A message reaches both pages with the sender's name; only the sender's is "mine".
  await send(ada, "Hello from Ada");
  const tricky = "<b>not bold</b> & 'quoted'";
  await send(grace, tricky);
  for (const page of [ada, grace]) {
    await item(page, "message", tricky);
    assert.deepEqual(await messages(page), [["Ada", "Hello from Ada"], ["Grace", tricky]]);
    assert.equal(await page.locator("#messages b").count(), 0, "message text is not parsed as HTML");
  }
  assert.equal(await ada.locator("#messages li.message.mine").textContent(), "AdaHello from Ada");
  assert.equal(await grace.locator("#messages li.message.mine").textContent(), `Grace${tricky}`);

  // A shout goes to the others in the room (the sender shows its own locally).
  await grace.fill("#talk", "anyone there?");
  await grace.press("#talk", "Enter");
  await item(ada, "shout", "Grace: anyone there?");
  assert.equal(await grace.locator("#messages li.shout.mine", { hasText: "Grace: anyone there?" }).count(), 1);
  assert.equal(await ada.locator("#messages li.shout").count(), 1);

  await online(ada, 2);
  await ada.screenshot({ path: path.join(ROOT, "target/chat.png") });

  // Grace closes her tab: Ada is told, and the count drops.
  await grace.context().close();
  await item(ada, "notice", "Grace left");
  await online(ada, 1);

  // A late visitor gets the history (allMessage) before picking a name, and is counted.
  const linus = await visit("linus");
  await online(linus, 2);
  await online(ada, 2);
  assert.deepEqual(await messages(linus), [["Ada", "Hello from Ada"], ["Grace", tricky]]);
  assert.equal(await linus.locator("#messages li.shout").count(), 0, "shouts are not history");
  await pickName(linus, "Linus");
  await item(ada, "notice", "Linus joined");
  await send(linus, "hi all");
  await item(ada, "message", "hi all");

  assert.deepEqual(pageErrors, [], "the pages reported errors");
  assert.equal(server.stderr(), "", "the chat server wrote to stderr");
});
