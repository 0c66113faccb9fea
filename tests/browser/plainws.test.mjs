// A browser's own `WebSocket` (no Socket.IO: `new WebSocket("ws://host/ws/chat")`, as the
// seed's page does) in headless Chromium chats with a socket.io-client user of the chat page,
// both in KPL, through the Rust chat example's plain WebSocket route.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startChat, launchBrowser, visit, pickName, item, DEADLINE } from "./harness.mjs";

let server;
let browser;
const pageErrors = [];

before(async () => {
  server = await startChat();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.close();
});

test("a bare browser WebSocket and a socket.io-client page shout to each other in KPL", async () => {
  const ada = await visit(browser, server.url, "ada", pageErrors);
  await pickName(ada, "Ada");

  // Another person, on a page of its own with nothing but the browser's WebSocket.
  const context = await browser.newContext();
  context.setDefaultTimeout(DEADLINE);
  const plain = await context.newPage();
  plain.on("pageerror", (e) => pageErrors.push(`plain: ${e.message}`));
  await plain.goto(new URL("/favicon-none", server.url).href).catch(() => {});
  const wsUrl = server.url.replace(/^http/, "ws") + "ws/chat";
  await plain.evaluate((url) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    window.got = [];
    ws.onmessage = (e) => window.got.push(e.data);
    ws.onopen = () => { window.ws = ws; resolve(); };
    ws.onerror = () => reject(new Error("the WebSocket failed"));
  }), wsUrl);

  // Ada's shout (a socket.io `talk`) reaches the bare WebSocket as its text.
  await ada.fill("#talk", "anyone on a plain socket?");
  await ada.press("#talk", "Enter");
  await plain.waitForFunction(() => window.got.length > 0);
  assert.deepEqual(await plain.evaluate(() => window.got), ["Ada: anyone on a plain socket?"]);

  // The bare WebSocket's text reaches Ada's page as a shout.
  await plain.evaluate(() => window.ws.send("我打野，不给就送"));
  await item(ada, "shout", "我打野，不给就送");
  assert.equal(await ada.locator("#messages li.shout:not(.mine)").count(), 1);

  // Closing it is a normal close; Ada's page is not disturbed and still chats.
  const closed = await plain.evaluate(() => new Promise((resolve) => {
    window.ws.onclose = (e) => resolve([e.code, e.wasClean]);
    window.ws.close(1000, "bye");
  }));
  assert.deepEqual(closed, [1000, true]);
  assert.deepEqual(await plain.evaluate(() => window.got), ["Ada: anyone on a plain socket?"]);
  await ada.locator("#status", { hasText: /^connected$/ }).waitFor();

  assert.deepEqual(pageErrors, [], "the pages reported errors");
  assert.equal(server.stderr(), "", "the chat server wrote to stderr");
});
