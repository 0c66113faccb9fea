// Smaller protocol hardening: WebSocket close codes, JSON nesting, binary placeholders, a
// second CONNECT to the same namespace, an EVENT to a namespace the client is not in, and the static file handler's methods and ranges.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fs from "node:fs";
import { startServer, connect, call, eventually, disconnectOf, closeAll, DEADLINE, rawClient } from "./helpers.mjs";
import { ROOT } from "../node/helpers.mjs";

const MAX_PAYLOAD = 10_000;
const STATIC_DIR = path.join(ROOT, "examples/public");
let server, observer;
before(async () => {
  server = await startServer("e2e", { MAX_PAYLOAD: String(MAX_PAYLOAD), STATIC_DIR });
  observer = (await connect(server.url)).socket;
});
after(() => {
  closeAll(observer);
  server?.close();
});

const withDeadline = (p) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error("no close")), DEADLINE))]);

test("an oversized WebSocket message gets close status 1009", async () => {
  const c = await rawClient(server.port);
  c.ws.send('42["echo","' + "x".repeat(MAX_PAYLOAD + 1) + '"]');
  assert.equal(await withDeadline(c.closed), 1009);
});

test("a text frame that is not UTF-8 gets close status 1007", async () => {
  const c = await rawClient(server.port);
  c.ws.send(Buffer.from([0x34, 0x32, 0xff, 0xfe]), { binary: false });
  assert.equal(await withDeadline(c.closed), 1007);
});

test("a frame with a reserved opcode gets close status 1002", async () => {
  const c = await rawClient(server.port);
  // FIN + opcode 3 (reserved), masked, empty payload.
  c.ws._socket.write(Buffer.from([0x83, 0x80, 1, 2, 3, 4]));
  assert.equal(await withDeadline(c.closed), 1002);
});

const nested = (depth) => "[".repeat(depth) + "1" + "]".repeat(depth);

test("arguments nested up to serde_json's limit are delivered; deeper ones close the connection ('forced close')", async () => {
  const ok = await rawClient(server.port);
  ok.ws.send(`421["echo",${nested(126)}]`);
  const reply = await eventually(() => ok.frames.find((f) => typeof f === "string" && f.startsWith("431")), "the echo");
  assert.equal(reply, `431[${nested(126)}]`);
  ok.ws.close();
  const deep = await rawClient(server.port);
  deep.ws.send(`421["echo",${nested(200)}]`);
  assert.equal((await disconnectOf(observer, deep.sid)).reason, "forced close");
  assert.ok(!deep.frames.some((f) => typeof f === "string" && f.startsWith("431")), "no reply as 'no arguments'");
});

test("a binary placeholder naming a missing attachment closes the connection ('forced close')", async () => {
  const c = await rawClient(server.port);
  c.ws.send('451-1["echo",{"_placeholder":true,"num":1}]');
  c.ws.send(Buffer.from([1, 2, 3]));
  assert.equal((await disconnectOf(observer, c.sid)).reason, "forced close");
  const good = await rawClient(server.port);
  good.ws.send('451-1["echo",{"_placeholder":true,"num":0}]');
  good.ws.send(Buffer.from([1, 2, 3]));
  await eventually(() => good.frames.find((f) => typeof f === "string" && f.startsWith("461-1")), "the binary echo");
  good.ws.close();
});

test("a second CONNECT to the same namespace replaces the socket (socket.io's outcome depends on timing)", async () => {
  const c = await rawClient(server.port);
  c.ws.send("40");
  const second = await eventually(
    () => c.frames.filter((f) => typeof f === "string" && f.startsWith("40{")).at(1),
    "a second CONNECT answer",
  );
  const sid2 = JSON.parse(second.slice(2)).sid;
  assert.notEqual(sid2, c.sid);
  assert.equal((await disconnectOf(observer, c.sid)).reason, "client namespace disconnect");
  c.ws.send('421["echo","on the new socket"]');
  await eventually(() => c.frames.find((f) => f === '431["on the new socket"]'), "the echo");
  c.ws.close();
});

test("an EVENT to a namespace the client is not in closes the connection, as socket.io does", async () => {
  const c = await rawClient(server.port);
  c.ws.send('42/nowhere,["echo","x"]');
  assert.equal((await disconnectOf(observer, c.sid)).reason, "forced server close");
  await withDeadline(c.closed);
});

test("static files: other methods get 405, ranges get 206 or 416", async () => {
  const file = fs.readFileSync(path.join(STATIC_DIR, "chat.css"));
  const post = await fetch(`${server.url}/chat.css`, { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  const full = await fetch(`${server.url}/chat.css`);
  assert.equal(full.headers.get("accept-ranges"), "bytes");
  assert.equal(Buffer.from(await full.arrayBuffer()).length, file.length);
  const part = await fetch(`${server.url}/chat.css`, { headers: { Range: "bytes=2-9" } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes 2-9/${file.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), file.subarray(2, 10));
  const tail = await fetch(`${server.url}/chat.css`, { headers: { Range: "bytes=-5" } });
  assert.equal(tail.status, 206);
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), file.subarray(file.length - 5));
  const bad = await fetch(`${server.url}/chat.css`, { headers: { Range: `bytes=${file.length + 10}-` } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get("content-range"), `bytes */${file.length}`);
  const missing = await fetch(`${server.url}/nope.css`, { method: "DELETE" });
  assert.equal(missing.status, 404);
});
