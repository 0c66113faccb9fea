// Shared by the browser tests: the Rust chat example on a free port, Debian's headless
// Chromium (driven by playwright-core; no browser is downloaded), and the chat page's
// helpers. Every wait has a deadline that only turns a hang into a failure.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** How long any single wait may take (a hang guard, not a speed check). */
export const DEADLINE = 15_000;

/** Spawns the chat example with PORT=0 and reads its port from the first stdout line. */
export async function startChat() {
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

/** Launches headless Chromium; launch() gives it a fresh temporary profile, removed on close. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/**
 * Opens the chat at `url` in a new browser context (its own cookies and storage, like
 * another person), checks it loaded the real client bundle and is connected, and returns
 * the page; errors the page reports go to `pageErrors`.
 */
export async function visit(browser, url, label, pageErrors) {
  const context = await browser.newContext({ viewport: { width: 900, height: 680 } });
  context.setDefaultTimeout(DEADLINE);
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") pageErrors.push(`${label}: console: ${m.text()} (${m.location().url})`); });
  page.on("response", (r) => { if (r.status() >= 400) pageErrors.push(`${label}: ${r.status()} ${r.url()}`); });
  const websocket = page.waitForEvent("websocket", (ws) => /\/socket\.io\/\?EIO=4&transport=websocket/.test(ws.url()));
  const bundle = page.waitForResponse((r) => new URL(r.url()).pathname === "/socket.io/socket.io.min.js");
  const response = await page.goto(url);
  assert.equal(response.status(), 200, `${label}: the page`);
  assert.equal((await bundle).status(), 200, `${label}: /socket.io/socket.io.min.js`);
  assert.equal(await page.evaluate(() => typeof window.io), "function", `${label}: window.io from the bundle`);
  await page.locator("#status", { hasText: /^connected$/ }).waitFor();
  // The client upgrades from polling to WebSocket; the upgrade must succeed in a real browser.
  await websocket;
  return page;
}

/** Picks a name on the login form; the chat card replaces it. */
export async function pickName(page, name) {
  await page.fill("#name", name);
  await page.click("#name-form button");
  await page.locator("#chat").waitFor({ state: "visible" });
}

export async function send(page, text) {
  await page.fill("#message", text);
  await page.press("#message", "Enter");
}

/** Waits until the page's online badge reads `n online`. */
export async function online(page, n) {
  await page.locator("#online", { hasText: new RegExp(`^${n} online$`) }).waitFor();
}

/** Waits for a list item of `kind` (notice, message, shout) containing `text`; returns it. */
export async function item(page, kind, text) {
  const li = page.locator(`#messages li.${kind}`, { hasText: text });
  await li.first().waitFor({ state: "attached" });
  return li;
}

/** The messages on a page as [who, text] pairs, in order. */
export function messages(page) {
  return page.$$eval("#messages li.message", (lis) =>
    lis.map((li) => [li.querySelector(".who").textContent, li.querySelector(".text").textContent]));
}

