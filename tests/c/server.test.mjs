// The C ABI in callback mode (tests/c/server_test.c) against the real socket.io-client:
// every command, acks both ways, binary, middleware, disconnect reasons, misuse from
// inside a callback, and stop with clients connected.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startC, connect, connectError, call } from "./harness.mjs";
import { probe, EXPECTED } from "../node/deflate_probe.mjs";

let server;
const open = [];
async function client(nsp = "/", opts = {}) {
  const c = await connect(server.url, nsp, opts);
  open.push(c.socket);
  return c;
}

before(async () => { server = await startC("server_test"); });
after(() => { for (const s of open) s.close(); server.kill(); });

test("connection: welcome carries the sid and the auth object", async () => {
  const { socket, welcome } = await client("/", { auth: { user: "ann" } });
  assert.deepEqual(welcome, [socket.id, { user: "ann" }]);
  const plain = await client();
  assert.deepEqual(plain.welcome, [plain.socket.id, null]);
});

test("client ack: JSON arguments come back exactly once", async () => {
  const { socket } = await client();
  const reply = await call(socket, "echo", 1, "two", { three: [3] }, null);
  assert.deepEqual(reply, [1, "two", { three: [3] }, null]);
});

test("binary both ways: attachments in an ack and in an emit", async () => {
  const { socket, log } = await client();
  const bin = Buffer.from([0, 1, 2, 255]);
  const reply = await call(socket, "echo", "file", bin, { nested: Buffer.from("hi") });
  assert.equal(reply[0], "file");
  assert.deepEqual(Buffer.from(reply[1]), bin);
  assert.deepEqual(Buffer.from(reply[2].nested), Buffer.from("hi"));
  socket.emit("echo-emit", { pic: Buffer.from([7, 7, 7]) });
  const [echoed] = await log.next("echo");
  assert.deepEqual(Buffer.from(echoed.pic), Buffer.from([7, 7, 7]));
});

test("ack_drop consumes the ack without answering", async () => {
  const { socket, log } = await client();
  let acked = false;
  socket.emit("drop-ack", () => { acked = true; });
  await log.next("dropped");
  // The ack would have been sent before "dropped" on the same connection.
  assert.equal(acked, false);
});

test("join, leave, rooms_of and sockets", async () => {
  const { socket } = await client();
  const [rooms] = await call(socket, "join", "red");
  assert.deepEqual(rooms, [socket.id, "lobby", "red"].sort());
  const [members] = await call(socket, "members", "red");
  assert.deepEqual(members, [socket.id]);
  const [after] = await call(socket, "leave", "red");
  assert.deepEqual(after, [socket.id, "lobby"].sort());
  const [none] = await call(socket, "members", "red");
  assert.deepEqual(none, []);
});

test("emit to a room but not the sender; except rooms; all but sender; volatile", async () => {
  const a = await client();
  const b = await client();
  const c = await client();
  await call(a.socket, "join", "blue");
  await call(b.socket, "join", "blue");
  a.socket.emit("to-room", "blue", "hello blue");
  assert.deepEqual(await b.log.next("room-msg"), ["blue", "hello blue"]);
  c.socket.emit("except-room", "blue");
  await c.log.next("not-in-room");
  // Round trips flush anything that was queued before them on each connection.
  await call(a.socket, "echo");
  await call(c.socket, "echo");
  await call(b.socket, "echo");
  assert.ok(!a.log.names().includes("room-msg"), "sender got its own room message");
  assert.ok(!c.log.names().includes("room-msg"), "non-member got the room message");
  assert.ok(!a.log.names().includes("not-in-room") && !b.log.names().includes("not-in-room"));
  const [n] = await call(a.socket, "broadcast", "to all others");
  assert.ok(n >= 2, `broadcast reached ${n}`);
  assert.deepEqual(await b.log.next("bcast"), ["to all others"]);
  assert.deepEqual(await c.log.next("bcast"), ["to all others"]);
  await call(a.socket, "echo");
  assert.ok(!a.log.names().includes("bcast"), "all-but-sender reached the sender");
  const [nv] = await call(b.socket, "volatile", "v");
  assert.ok(nv >= 2);
  assert.deepEqual(await a.log.next("bcast"), ["v"]);
});

test("server emit with ack: the reply (with binary) arrives as an ack-response event", async () => {
  const { socket, log } = await client();
  socket.on("question", (q, ack) => ack("yes", q, Buffer.from([9, 9])));
  socket.emit("ask", 20000, "me");
  const [replies, timedOut, bytes, disconnected] = await log.next("answer");
  assert.equal(timedOut, false);
  assert.equal(replies.length, 1);
  assert.equal(replies[0][0], "yes");
  assert.equal(replies[0][1], "q?");
  assert.equal(bytes, 2);
  assert.equal(disconnected, 0);
});

test("server emit with ack: timeout reports what arrived", async () => {
  const answering = await client();
  const silent = await client();
  answering.socket.on("question", (q, ack) => ack("yes"));
  silent.socket.on("question", () => {}); // never acknowledges
  answering.socket.emit("ask", 1500, "all");
  const [replies, timedOut, , disconnected] = await answering.log.next("answer");
  assert.equal(timedOut, true);
  assert.equal(disconnected, 0);
  for (const r of replies) assert.equal(r[0], "yes");
});

test("server emit with ack: a recipient that disconnects ends the wait at once (timed_out, disconnected = 1)", async () => {
  const asker = await client();
  const leaver = await client();
  const asked = new Promise((resolve) => leaver.socket.on("question", resolve)); // never acknowledges
  // A 10-minute timeout: the outcome can only arrive within the test's deadline if the
  // disconnect ends the wait.
  asker.socket.emit("ask-socket", 600000, leaver.socket.id);
  await asked;
  leaver.socket.disconnect();
  const [replies, timedOut, bytes, disconnected] = await asker.log.next("answer");
  assert.deepEqual(replies, []);
  assert.equal(timedOut, true);
  assert.equal(bytes, 0);
  assert.equal(disconnected, 1);
});

test("middleware: accept in the callback, accept later from the main thread, reject with data", async () => {
  const good = await client("/private", { auth: { token: "good" } });
  assert.equal(good.welcome[0], good.socket.id);
  const later = await client("/private", { auth: { token: "later" } });
  assert.equal(later.welcome[0], later.socket.id);
  const err = await connectError(server.url, "/private", { auth: { token: "bad" } });
  assert.equal(err.message, "unauthorized");
  assert.deepEqual(err.data, { code: 401 });
});

test("dynamic namespaces match the glob; others are refused", async () => {
  const dyn = await client("/dyn-42");
  assert.deepEqual(await call(dyn.socket, "where"), ["/dyn-42"]);
  const err = await connectError(server.url, "/elsewhere");
  assert.equal(err.message, "Invalid namespace");
});

test("misuse inside a callback returns error codes, never crashes", async () => {
  const { socket } = await client();
  const [codes] = await call(socket, "misuse");
  assert.deepEqual(codes, {
    stop: -12, // ROOMCAST_ERR_IN_CALLBACK
    free: -12,
    invalidJson: -4, // ROOMCAST_ERR_INVALID_JSON
    notArray: -4,
    badUtf8: -3, // ROOMCAST_ERR_INVALID_UTF8
    goneSocketEmit: -7, // ROOMCAST_ERR_NO_SUCH_SOCKET
    goneSocketJoin: -7,
    setCallbackAgain: -13, // ROOMCAST_ERR_MODE
    pullInCallbackMode: -13,
    unknownAck: -9, // ROOMCAST_ERR_NO_SUCH_ACK
    unknownRequest: -8, // ROOMCAST_ERR_NO_SUCH_REQUEST
    rejectBadData: -4,
    unknownNamespace: -6, // ROOMCAST_ERR_NO_SUCH_NAMESPACE
    nullNsp: -1, // ROOMCAST_ERR_NULL
    emptyRoomEmit: 0,
  });
  // Still serving after all that.
  assert.deepEqual(await call(socket, "echo", "alive"), ["alive"]);
});

test("disconnect reasons: client leaves, server kicks, transport closes; then the socket is gone", async () => {
  const observer = await client();
  const gone = async (sid) => {
    for (;;) {
      const [s, reason, emitStatus, joinStatus] = await observer.log.next("gone");
      if (s === sid) return { reason, emitStatus, joinStatus };
    }
  };
  const leaver = await client();
  const leaverGone = gone(leaver.socket.id);
  leaver.socket.disconnect();
  assert.deepEqual(await leaverGone, { reason: "client namespace disconnect", emitStatus: -7, joinStatus: -7 });

  const kicked = await client();
  const kickedGone = gone(kicked.socket.id);
  kicked.socket.emit("kick", false);
  assert.equal(await kicked.disconnected, "io server disconnect");
  assert.equal((await kickedGone).reason, "server namespace disconnect");

  const dropped = await client();
  const droppedGone = gone(dropped.socket.id);
  dropped.socket.io.engine.close();
  assert.equal((await droppedGone).reason, "transport close");
});

test("permessage-deflate: negotiated with socket.io-client, compressed above the threshold, ROOMCAST_TARGET_NO_COMPRESS honoured", async () => {
  assert.deepEqual(await probe(server.url), EXPECTED);
});

test("stop with clients connected: they are disconnected, no leak, no callback after stop", async () => {
  const a = await client();
  const b = await client();
  a.socket.emit("shutdown");
  const reasons = await Promise.all([a.disconnected, b.disconnected]);
  for (const r of reasons) assert.match(r, /transport (close|error)/);
  const { code, signal, stdout, stderr } = await server.exit;
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
  assert.match(stdout, /done: 0 failures/);
  assert.doesNotMatch(stderr, /FAIL/);
});
