// Connection state recovery with the classic Redis adapter: two roomcast nodes on one
// real redis-server, real socket.io-clients. Recovery state is per node: a client that
// comes back to the node it left recovers, with what the other node broadcast while it was
// away; on the other node it gets a fresh session (cross-node recovery is the streams
// adapter's, streams.test.mjs).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRedis, startRoomcast, client, ctl, eventually } from "./harness.mjs";

let redis, a, b, ctlA, ctlB;

before(async () => {
  redis = await startRedis();
  a = await startRoomcast(redis.url, { env: { RECOVERY_MS: "60000" } });
  b = await startRoomcast(redis.url, { env: { RECOVERY_MS: "60000" } });
  ctlA = await client(a.url);
  ctlB = await client(b.url);
  await eventually(async () => (await ctl(ctlB, "serverCount")).count === 2, "two servers");
});

after(async () => {
  for (const c of [ctlA, ctlB]) c?.socket.close();
  a?.close();
  b?.close();
  await redis?.stop();
});

/** Drops the client's transport and waits until its node saw the socket leave room1. */
async function drop(c, control) {
  const id = c.socket.id;
  c.socket.io.engine.close();
  await eventually(async () => {
    const r = await ctl(control, "fetchSockets", { to: ["room1"] });
    return !r.sockets.some((s) => s.id === id);
  }, `${id} gone`);
}

test("a client recovers on its node with the broadcasts the other node sent meanwhile", async () => {
  const c = await client(a.url);
  try {
    const id = c.socket.id;
    await ctl(ctlB, "emit", { event: "news", to: ["room1"] }, "before");
    const [first, offset] = await c.log.next("news");
    assert.equal(first, "before");
    assert.equal(typeof offset, "string", "a remote broadcast carries a local offset");

    await drop(c, ctlA);
    await ctl(ctlB, "emit", { event: "news", to: ["room1"] }, "missed 1");
    // B's broadcast reaches A through Redis, after B's ack: wait until A delivered it (to
    // ctlA, also in room1) before A broadcasts, or A may store "missed 2" first. Order
    // between two nodes' broadcasts is arrival order at A, as with socket.io's adapter.
    await eventually(() => ctlA.log.all("news").some((n) => n[0] === "missed 1"), "missed 1 on A");
    await ctl(ctlA, "emit", { event: "news", to: ["room1"] }, "missed 2");
    await ctl(ctlB, "emit", { event: "news", to: ["elsewhere"] }, "not for it");

    const back = new Promise((resolve) => c.socket.once("connect", resolve));
    c.socket.connect();
    await back;
    assert.equal(c.socket.recovered, true);
    assert.equal(c.socket.id, id);
    await ctl(ctlB, "emit", { event: "news", to: ["room1"] }, "after");
    await eventually(() => c.log.all("news").some((n) => n[0] === "after"), "after");
    assert.deepEqual(c.log.all("news").map((n) => n[0]), ["before", "missed 1", "missed 2", "after"]);
  } finally {
    c.socket.close();
  }
});

test("on the other node the client gets a fresh session (state is per node)", async () => {
  const c = await client(a.url);
  try {
    const id = c.socket.id;
    await ctl(ctlA, "emit", { event: "news", to: ["room1"] }, "x");
    await c.log.next("news");
    await drop(c, ctlA);
    c.socket.io.uri = b.url; // the same Socket (pid and offset) on node B
    c.socket.io.opts.port = String(b.port);
    c.socket.io.opts.hostname = "127.0.0.1";
    const back = new Promise((resolve) => c.socket.once("connect", resolve));
    c.socket.connect();
    await back;
    assert.equal(c.socket.recovered, false);
    assert.notEqual(c.socket.id, id);
  } finally {
    c.socket.close();
  }
});
