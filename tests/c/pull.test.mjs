// The pull API (tests/c/pull_test.c, a single-threaded game loop) with real clients.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startC, connect, call } from "./harness.mjs";

let server;
const open = [];
before(async () => { server = await startC("pull_test"); });
after(() => { for (const s of open) s.close(); server.kill(); });

test("pull loop: events, acks with binary, emit with ack, stop and drain", async () => {
  const a = await connect(server.url);
  const b = await connect(server.url);
  open.push(a.socket, b.socket);
  assert.equal(a.welcome[0], a.socket.id);

  const reply = await call(a.socket, "echo", "bin", Buffer.from([1, 2, 3]));
  assert.equal(reply[0], "bin");
  assert.deepEqual(Buffer.from(reply[1]), Buffer.from([1, 2, 3]));

  const [count, sids] = await call(b.socket, "count");
  assert.equal(count, 2);
  assert.deepEqual([...sids].sort(), [a.socket.id, b.socket.id].sort());

  a.socket.on("question", (n, ack) => ack(n + 1));
  b.socket.on("question", (n, ack) => ack(n + 1));
  a.socket.emit("ask");
  assert.deepEqual(await a.log.next("answer"), [[2], false]);

  a.socket.emit("quit");
  const reasons = await Promise.all([a.disconnected, b.disconnected]);
  for (const r of reasons) assert.match(r, /transport (close|error)/);
  const { code, stdout, stderr } = await server.exit;
  assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
  assert.match(stdout, /done: 0 failures/);
});
