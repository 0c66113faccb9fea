// The chat contract against examples/c/chat.c (built to target/c/chat, or the binary in
// ROOMCAST_C_CHAT: scripts/test-dist.sh builds it against the C SDK), with real clients.
// "X did not get Y" is checked by ordering: events are handled in order and each socket's
// queue is ordered, so anything sent to X before a later event arrives before it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { ROOT, DEADLINE, VALGRIND_ARGS, io, record } from "./harness.mjs";

let server;
const open = [];

before(async () => {
  const bin = process.env.ROOMCAST_C_CHAT || path.join(ROOT, "target/c/chat");
  const valgrind = process.env.ROOMCAST_VALGRIND === "1";
  const proc = spawn(valgrind ? "valgrind" : bin, valgrind ? [...VALGRIND_ARGS, bin] : [], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const exit = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal, stderr })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat printed no port: ${stderr}`)), DEADLINE);
    createInterface({ input: proc.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const m = /:(\d+)$/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected line ${line}`));
    });
  });
  server = { url: `http://127.0.0.1:${port}`, proc, exit };
});

after(() => { for (const s of open) s.close(); server?.proc.kill("SIGKILL"); });

async function join() {
  const socket = io(server.url, { forceNew: true, reconnection: false });
  open.push(socket);
  const log = record(socket, { offsets: true }); // the chat turns recovery on
  const [history] = await log.next("allMessage");
  return { socket, log, history };
}

test("serves the chat page and the socket.io-client bundle", async () => {
  const page = await fetch(server.url + "/");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /socket\.io\.min\.js/);
  const bundle = await fetch(server.url + "/socket.io/socket.io.min.js");
  assert.equal(bundle.status, 200);
  assert.ok((await bundle.text()).length > 10_000);
});

test("chat contract: online, names, talk, messages and history, leaving", async () => {
  const a = await join();
  assert.deepEqual(a.history, []);
  assert.deepEqual(await a.log.next("online"), [1]);
  const b = await join();
  assert.deepEqual(await a.log.next("online"), [2]);
  assert.deepEqual(await b.log.next("online"), [2]);

  a.socket.emit("user-name", "ann \"the\" admin");
  assert.deepEqual(await b.log.next("globalMsg"), ['ann "the" admin joined']);
  b.socket.emit("user-name", "bob");
  assert.deepEqual(await a.log.next("globalMsg"), ["bob joined"]);

  a.socket.emit("talk", "hi there");
  assert.deepEqual(await b.log.next("talk"), ["hi there"]);

  const msg = { name: "ann", message: "hello, {world}", extra: [1, 2] };
  a.socket.emit("sendMessage", msg);
  const expected = { name: "ann", message: "hello, {world}" };
  assert.deepEqual(await a.log.next("newMessage"), [expected]);
  assert.deepEqual(await b.log.next("newMessage"), [expected]);
  // Nothing addressed to the sender came before its own newMessage.
  assert.ok(!a.log.names().includes("talk"), "talk came back to its sender");
  assert.equal(a.log.names().filter((n) => n === "globalMsg").length, 1, "own join echoed");

  const c = await join();
  assert.deepEqual(c.history, [expected]);
  assert.deepEqual(await c.log.next("online"), [3]);

  b.socket.disconnect();
  assert.deepEqual(await a.log.next("globalMsg"), ["bob left"]);
  assert.deepEqual(await c.log.next("globalMsg"), ["bob left"]);
  assert.deepEqual(await c.log.next("online"), [2]);
  for (const x of [a, b, c]) assert.deepEqual(x.log.withoutOffset, [], "every event carries its offset");
});

test("recovery: a dropped tab keeps its name and place in KPL and gets the talks it missed", async () => {
  const a = await join();
  const b = await join();
  a.socket.emit("user-name", "ann");
  await b.log.next("globalMsg");
  b.socket.emit("talk", "first");
  assert.deepEqual(await a.log.next("talk"), ["first"]);
  const sid = a.socket.id;
  a.socket.io.engine.close();
  assert.deepEqual(await b.log.next("globalMsg"), ["ann left"]);
  b.socket.emit("talk", "while away");
  b.socket.emit("sendMessage", { name: "bob", message: "missed" });
  await b.log.next("newMessage");
  const back = new Promise((resolve) => a.socket.once("connect", resolve));
  a.socket.connect();
  await back;
  assert.equal(a.socket.recovered, true);
  assert.equal(a.socket.id, sid);
  assert.deepEqual(await b.log.next("globalMsg"), ["ann is back"]);
  b.socket.emit("talk", "again");
  assert.deepEqual(await a.log.next("talk"), ["while away"]);
  assert.deepEqual(await a.log.next("talk"), ["again"]);
  assert.deepEqual(a.log.all("newMessage"), [[{ name: "bob", message: "missed" }]]);
  assert.equal(a.log.all("allMessage").length, 1, "no second history after a recovery");
});

test("plain WebSocket users (the ws module) chat with socket.io-client users in KPL", async () => {
  const { plainChat } = await import("../node/plainws-scenario.mjs");
  await plainChat(server.url);
});

test("SIGTERM stops the chat cleanly (and leak-free under valgrind)", async () => {
  server.proc.kill("SIGTERM");
  const { code, signal, stderr } = await server.exit;
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, stderr);
});
