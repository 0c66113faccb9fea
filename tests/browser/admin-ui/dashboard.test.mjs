// The real Socket.IO admin UI (the static build npm @socket.io/admin-ui ships in ui/dist)
// in headless Chromium against the Rust chat example with the admin UI on: the dashboard
// is served from another origin (as https://admin.socket.io is, so the chat allows it with
// CORS credentials), logs in through its connection form (a wrong password first), and
// must list a socket.io-client connected to the chat, its room and this server.
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), driven by playwright-core; the
// dashboard's web fonts and icon CSS (Google Fonts, jsDelivr) are not fetched.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import http from "node:http";
import path from "node:path";
import fs from "node:fs";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const DEADLINE = 15_000;
const DIST = path.join(ROOT, "tests/browser/node_modules/@socket.io/admin-ui/ui/dist");
// The real socket.io-client, from tests/node.
const { io } = createRequire(path.join(ROOT, "tests/node/package.json"))("socket.io-client");
/** bcrypt (cost 10) of "changeit", as a user passes it to instrument(). */
const HASH = "$2a$10$LN0CY/HjZaFrQrece7wEg.aJLCu.9p4ZDOv1G4VjTw8cAxplT3z1S";

let ui, chat, browser, client;
const pageErrors = [];

/** Serves the dashboard's static build on a free port. */
function serveDist() {
  const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".map": "application/json" };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/+/, "") || "index.html";
    const file = path.join(DIST, rel);
    if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

async function startChat(env) {
  const bin = path.join(ROOT, "target/release/examples/chat");
  const proc = spawn(bin, [], { env: { ...process.env, ...env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
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
  lines.on("line", () => {});
  return { url: `http://127.0.0.1:${port}`, close() { process.removeListener("exit", kill); kill(); } };
}

before(async () => {
  ui = await serveDist();
  chat = await startChat({ ADMIN_UI_PASSWORD: HASH, ADMIN_UI_SERVER_ID: "chromium-e2e", CORS_ORIGIN: ui.url });
  client = io(chat.url, { forceNew: true, reconnection: false });
  await new Promise((resolve, reject) => { client.once("connect", resolve); client.once("connect_error", reject); });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => {
  client?.close();
  await browser?.close();
  chat?.close();
  ui?.server.close();
});

test("the dashboard logs in, lists the chat's socket, its room and the server", async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(DEADLINE);
  const page = await context.newPage();
  // Only the two local origins: the dashboard's fonts and icons come from CDNs.
  await page.route((url) => url.hostname !== "127.0.0.1", (route) => route.abort());
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(ui.url + "/");

  const login = async (password) => {
    await page.getByLabel("Server URL").fill(chat.url);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Connect" }).click();
  };
  await login("wrong");
  await page.getByText("invalid credentials", { exact: false }).first().waitFor();
  await login("changeit");
  await page.getByLabel("Server URL").waitFor({ state: "hidden" });

  await page.goto(ui.url + "/#/sockets/");
  await page.getByText(client.id).first().waitFor();
  await page.goto(ui.url + "/#/rooms/");
  await page.getByText("KPL", { exact: true }).first().waitFor();
  await page.goto(ui.url + "/#/servers/");
  await page.getByText("chromium-e2e").first().waitFor();
  await page.screenshot({ path: path.join(ROOT, "target/admin-ui.png") });
  assert.deepEqual(pageErrors, [], "no uncaught error in the dashboard");
  await context.close();
});
