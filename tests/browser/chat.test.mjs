// The chat page (examples/public) in a real headless Chromium against the Rust chat example
// (target/release/examples/chat): names, notices, messages, shouts, the online count,
// leaving, and the history a late visitor gets. Everything is read from the page's DOM.
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), driven by playwright-core;
// no browser is downloaded. Waits have a deadline that only turns a hang into a failure.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** How long any single wait may take (a hang guard, not a speed check). */
const DEADLINE = 15_000;

let server;
let browser;
/** Errors the pages reported (uncaught exceptions, console errors); the test asserts none. */
const pageErrors = [];

/** Spawns the chat example with PORT=0 and reads its port from the first stdout line. */
async function startChat() {
  const bin = path.join(ROOT, "target/release/examples/chat");
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: cargo build --release --example chat -p roomcast`);
  const proc = spawn(bin, [], { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const lines = createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat printed no port; stderr: ${stderr}`)), DEADLINE);
    proc.once("exit", (code) => { clearTimeout(timer); reject(new Error(`chat exited (${code}): ${stderr}`)); });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on http:\/\/localhost:(\d+)$/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  lines.on("line", () => {}); // keep draining stdout
  return {
    url: `http://127.0.0.1:${port}/`,
    stderr: () => stderr,
    close() { process.removeListener("exit", kill); kill(); },
  };
}

before(async () => {
  server = await startChat();
  // launch() gives the browser a fresh temporary profile (user-data dir) and removes it on close.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});
after(async () => {
  await browser?.close();
  server?.close();
});

/**
 * Opens the chat in a new browser context (its own cookies and storage, like another
 * person), checks it loaded the real client bundle and is connected, and returns the page.
 */
async function visit(label) {
  const context = await browser.newContext({ viewport: { width: 900, height: 680 } });
  context.setDefaultTimeout(DEADLINE);
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") pageErrors.push(`${label}: console: ${m.text()} (${m.location().url})`); });
  page.on("response", (r) => { if (r.status() >= 400) pageErrors.push(`${label}: ${r.status()} ${r.url()}`); });
  const websocket = page.waitForEvent("websocket", (ws) => /\/socket\.io\/\?EIO=4&transport=websocket/.test(ws.url()));
  const bundle = page.waitForResponse((r) => new URL(r.url()).pathname === "/socket.io/socket.io.min.js");
  const response = await page.goto(server.url);
  assert.equal(response.status(), 200, `${label}: the page`);
  assert.equal((await bundle).status(), 200, `${label}: /socket.io/socket.io.min.js`);
  assert.equal(await page.evaluate(() => typeof window.io), "function", `${label}: window.io from the bundle`);
  await page.locator("#status", { hasText: /^connected$/ }).waitFor();
  // The client upgrades from polling to WebSocket; the upgrade must succeed in a real browser.
  await websocket;
  return page;
}

/** Picks a name on the login form; the chat card replaces it. */
async function pickName(page, name) {
  await page.fill("#name", name);
  await page.click("#name-form button");
  await page.locator("#chat").waitFor({ state: "visible" });
}

async function send(page, text) {
  await page.fill("#message", text);
  await page.press("#message", "Enter");
}

/** Waits until the page's online badge reads `n online`. */
async function online(page, n) {
  await page.locator("#online", { hasText: new RegExp(`^${n} online$`) }).waitFor();
}

/** Waits for a list item of `kind` (notice, message, shout) containing `text`; returns it. */
async function item(page, kind, text) {
  const li = page.locator(`#messages li.${kind}`, { hasText: text });
  await li.first().waitFor({ state: "attached" });
  return li;
}

/** The messages on a page as [who, text] pairs, in order. */
function messages(page) {
  return page.$$eval("#messages li.message", (lis) =>
    lis.map((li) => [li.querySelector(".who").textContent, li.querySelector(".text").textContent]));
}

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
