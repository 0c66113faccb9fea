// The usual socket.io deployment, in a real browser: express + http.createServer(app) with
// roomcast's Node Server attached on the same port, express-session shared with the
// sockets through io.engine.use. A page served by express loads the real socket.io
// browser bundle and connects (polling, then the upgrade to WebSocket); the socket sees
// the session express set at login, what the socket handler saves, express reads back,
// and a visitor without a session is refused by an io.use middleware reading it.
// Needs the Node binding built in bindings/node (scripts/test-browser.sh builds it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";
import { ROOT, DEADLINE, launchBrowser } from "./harness.mjs";

const require = createRequire(import.meta.url);
const testsRequire = createRequire(path.join(ROOT, "tests/node/package.json"));
const express = testsRequire("express");
const session = testsRequire("express-session");
const { Server } = require(path.join(ROOT, "bindings/node"));
const BUNDLE = path.join(ROOT, "examples/node_modules/socket.io-client/dist/socket.io.min.js");

const PAGE = `<!doctype html><html><body><p id="status">loading</p>
<script src="/client/socket.io.min.js"></script>
<script>
  window.result = new Promise((resolve) => {
    const socket = io({ reconnection: false });
    window.socket = socket;
    socket.on("connect_error", (e) => resolve({ error: e.message }));
    socket.on("connect", () => {
      document.getElementById("status").textContent = "connected";
      // Wait for the upgrade to WebSocket before asking, so the answer comes over it.
      const ask = () => socket.emit("whoami", (user) => socket.emit("visit", (visits) =>
        resolve({ user, visits, transport: socket.io.engine.transport.name })));
      if (socket.io.engine.transport.name === "websocket") ask();
      else socket.io.engine.once("upgrade", ask);
    });
  });
</script></body></html>`;

let browser;
let srv;
let io;
let port;
before(async () => {
  const app = express();
  const sessions = session({ secret: "kpl", resave: false, saveUninitialized: false });
  app.use(sessions);
  app.get("/login", (req, res) => {
    req.session.user = req.query.name;
    req.session.visits = 0;
    res.redirect("/");
  });
  app.get("/", (_req, res) => res.type("html").send(PAGE));
  app.get("/client/socket.io.min.js", (_req, res) => res.sendFile(BUNDLE));
  // What the socket saved in the session, as express reads it on the next request.
  app.get("/visits", (req, res) => res.json({ user: req.session.user ?? null, visits: req.session.visits ?? null }));
  srv = http.createServer(app);
  io = new Server(srv);
  io.engine.use(sessions);
  io.use((socket, next) => (socket.request.session?.user ? next() : next(new Error("log in first"))));
  io.on("connection", (socket) => {
    socket.on("whoami", (ack) => ack(socket.request.session.user));
    socket.on("visit", (ack) => {
      const s = socket.request.session;
      s.reload((err) => {
        if (err) return ack(-1);
        s.visits += 1;
        s.save(() => ack(s.visits));
      });
    });
  });
  await new Promise((resolve) => srv.listen(0, "127.0.0.1", resolve));
  port = srv.address().port;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await io?.close();
  srv?.close();
});

async function result(page) {
  return page.evaluate((ms) => Promise.race([
    window.result,
    new Promise((_, reject) => setTimeout(() => reject(new Error("the page got no answer")), ms)),
  ]), DEADLINE);
}

test("a page served by express connects with the browser bundle and shares the express session", async () => {
  const context = await browser.newContext();
  context.setDefaultTimeout(DEADLINE);
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const websocket = page.waitForEvent("websocket", (ws) => /\/socket\.io\/\?EIO=4&transport=websocket/.test(ws.url()));
    const loaded = await page.goto(`http://127.0.0.1:${port}/login?name=libai`);
    assert.equal(loaded.status(), 200);
    assert.deepEqual(await result(page), { user: "libai", visits: 1, transport: "websocket" });
    await websocket;
    // express sees what the socket saved, with the same cookie.
    const visits = await page.evaluate(() => fetch("/visits").then((r) => r.json()));
    assert.deepEqual(visits, { user: "libai", visits: 1 });
    assert.equal(io.engine.clientsCount, 1);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("a visitor without a session is refused by the middleware that reads it", async () => {
  const context = await browser.newContext();
  context.setDefaultTimeout(DEADLINE);
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    assert.deepEqual(await result(page), { error: "log in first" });
  } finally {
    await context.close();
  }
});
