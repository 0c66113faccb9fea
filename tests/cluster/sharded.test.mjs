// The sharded adapter: a roomcast node (REDIS_SHARDED=dynamic) and a Node socket.io node
// with createShardedAdapter (@socket.io/redis-adapter 8.3, subscriptionMode "dynamic") on
// one redis-server (7+: SSUBSCRIBE/SPUBLISH), real socket.io-clients on both. Broadcasts
// both ways (the namespace channel and the per-room dynamic channels), acks, fetchSockets,
// socketsJoin/Leave, disconnectSockets and serverSideEmit with acks.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { startRedis, startMixedPair, client, ctl, eventually, quiet, checkDepthRule } from "./harness.mjs";

let mix, redis, rc, nd, rcA, rcB, ndA, ctlSock, probe;

/** Connections subscribed to a shard channel (PUBSUB SHARDNUMSUB). */
async function shardSubs(channel) {
  const [, n] = await probe.sendCommand(["PUBSUB", "SHARDNUMSUB", channel]);
  return Number(n);
}

before(async () => {
  mix = await startMixedPair({
    rcEnv: { REDIS_SHARDED: "dynamic" },
    nodeOpts: { sharded: true, subscriptionMode: "dynamic" },
  });
  ({ redis, rc, nd, rcA, rcB, ndA, ctlSock } = mix);
  probe = createClient({ url: redis.url });
  await probe.connect();
  // Both nodes have room1: both subscribe its dynamic channel.
  await eventually(async () => (await shardSubs("socket.io#/#room1#")) === 2, "room1 channel on both nodes");
});

after(async () => {
  await probe?.quit().catch(() => {});
  await mix?.close();
});

test("serverCount (PUBSUB SHARDNUMSUB) is 2 on both nodes", async () => {
  assert.equal(await nd.io.of("/").adapter.serverCount(), 2);
  assert.deepEqual(await ctl(ctlSock, "serverCount"), { count: 2 });
});

test("roomcast broadcasts reach Node clients (room channel, namespace, except, binary, volatile)", async () => {
  await ctl(ctlSock, "emit", { event: "hello", to: ["room1"] }, { a: 1 });
  assert.deepEqual(await ndA.log.next("hello"), [{ a: 1 }]);
  await ctl(ctlSock, "emit", { event: "news" }, "x");
  assert.deepEqual(await ndA.log.next("news"), ["x"]);
  await ctl(ctlSock, "emit", { event: "skip", to: ["room1"], except: [ndA.id] }, 1);
  assert.deepEqual(await rcA.log.next("skip"), [1]);
  await ctl(ctlSock, "emit", { event: "bin", to: ["room1"] }, Buffer.from([1, 2, 3]), { nested: Buffer.from("hi") });
  const [b, o] = await ndA.log.next("bin");
  assert.deepEqual([...b], [1, 2, 3]);
  assert.equal(Buffer.from(o.nested).toString(), "hi");
  await ctl(ctlSock, "emit", { event: "vol", volatile: true }, 5);
  assert.deepEqual(await ndA.log.next("vol"), [5]);
  await quiet();
  assert.equal(ndA.log.all("skip").length, 0, "the excepted Node client got it");
});

test("Node broadcasts reach roomcast clients (room channel, namespace, except, binary)", async () => {
  nd.io.to("room1").emit("from-node", { n: 1 });
  assert.deepEqual(await rcA.log.next("from-node"), [{ n: 1 }]);
  nd.io.emit("all-node", 2);
  assert.deepEqual(await rcB.log.next("all-node"), [2]);
  nd.io.to("room1").except(rcA.id).emit("except-node", 3);
  assert.deepEqual(await rcB.log.next("except-node"), [3]);
  nd.io.to("room1").emit("bin-node", Buffer.from([9, 8]), { deep: [Buffer.from([7])] });
  const [b, o] = await rcA.log.next("bin-node");
  assert.deepEqual([...b], [9, 8]);
  assert.deepEqual([...Buffer.from(o.deep[0])], [7]);
  await quiet();
  assert.equal(rcA.log.all("except-node").length, 0, "except did not hold on roomcast");
});

test("a room joined later gets its channel (subscriptionMode dynamic) and is dropped when empty", async () => {
  await ctl(ctlSock, "socketsJoin", { to: [rcB.id], rooms: ["late"] });
  await eventually(async () => (await shardSubs("socket.io#/#late#")) === 1, "roomcast subscribed to late's channel");
  nd.io.to("late").emit("late-news", 1);
  assert.deepEqual(await rcB.log.next("late-news"), [1]);
  await quiet();
  assert.equal(rcA.log.all("late-news").length, 0);
  await ctl(ctlSock, "socketsLeave", { to: [rcB.id], rooms: ["late"] });
  await eventually(async () => (await shardSubs("socket.io#/#late#")) === 0, "late's channel dropped", 15_000);
});

test("broadcast with acks collects clients of both nodes, from either side", async () => {
  for (const c of [rcA, rcB, ndA, ctlSock]) {
    c.socket.removeAllListeners("ask");
    c.socket.on("ask", (n, ack) => ack(`${c === ndA ? "node" : "rc"}-${n}`));
  }
  const fromRc = await ctl(ctlSock, "emitWithAck", { event: "ask", to: ["room1"], timeout: 5000 }, 1);
  assert.equal(fromRc.timedOut, false);
  assert.deepEqual(fromRc.replies, ["node-1", "rc-1", "rc-1", "rc-1"]);
  const fromNode = await nd.io.to("room1").timeout(5000).emitWithAck("ask", 2);
  assert.deepEqual(fromNode.sort(), ["node-2", "rc-2", "rc-2", "rc-2"]);
});

test("fetchSockets returns id, handshake, rooms and data across nodes", async () => {
  const r = await ctl(ctlSock, "fetchSockets", { to: ["room1"] });
  assert.equal(r.complete, true);
  const node = r.sockets.find((s) => s.id === ndA.id);
  assert.deepEqual(node.rooms.sort(), [ndA.id, "room1"].sort());
  assert.deepEqual(node.data, { user: `u${nd.port}` });
  assert.equal(node.handshake.query.transport, "websocket");
  assert.equal(r.sockets.length, 4);

  const fromNode = await nd.io.in("room1").fetchSockets();
  const mine = fromNode.find((s) => s.id === rcA.id);
  assert.deepEqual(mine.data, { user: `u${rc.port}` });
  assert.ok(mine.rooms.has("room1") && mine.rooms.has(rcA.id));
  assert.equal(fromNode.length, 4);
});

test("socketsJoin / socketsLeave / disconnectSockets work both ways", async () => {
  await ctl(ctlSock, "socketsJoin", { to: [ndA.id], rooms: ["joined-by-rc"] });
  await eventually(async () => nd.io.of("/").adapter.rooms.get("joined-by-rc")?.has(ndA.id), "Node socket joined");
  await ctl(ctlSock, "socketsLeave", { to: [ndA.id], rooms: ["joined-by-rc"] });
  await eventually(async () => !nd.io.of("/").adapter.rooms.get("joined-by-rc"), "Node socket left");
  nd.io.in(rcA.id).socketsJoin("joined-by-node");
  await eventually(async () => {
    const r = await ctl(ctlSock, "fetchSockets", { to: ["joined-by-node"] });
    return r.sockets.length === 1 && r.sockets[0].id === rcA.id;
  }, "roomcast socket joined");
  nd.io.in(rcA.id).socketsLeave("joined-by-node");
  await eventually(async () => (await ctl(ctlSock, "fetchSockets", { to: ["joined-by-node"] })).sockets.length === 0, "left");

  const victimNd = await client(nd.url);
  const victimRc = await client(rc.url);
  const ndGone = new Promise((r) => victimNd.socket.once("disconnect", r));
  await ctl(ctlSock, "disconnectSockets", { to: [victimNd.id], close: true });
  assert.equal(await ndGone, "io server disconnect");
  const rcGone = new Promise((r) => victimRc.socket.once("disconnect", r));
  nd.io.in(victimRc.id).disconnectSockets();
  assert.equal(await rcGone, "io server disconnect");
});

test("serverSideEmit with and without acks, both ways", async () => {
  const r = await ctl(ctlSock, "serverSideEmitWithAck", { event: "ping-servers" }, 1);
  assert.deepEqual(r, { replies: ["pong-node"], complete: true });
  await ctl(ctlSock, "serverSideEmit", { event: "note" }, "hi");
  await eventually(() => nd.sse.some((e) => e.event === "note" && e.args[0] === "hi"), "note on Node");

  const replies = await nd.io.serverSideEmitWithAck("ping-servers", 2);
  assert.deepEqual(replies, [`pong-${rc.port}`]);
  nd.io.serverSideEmit("plain", { x: 1 });
  await eventually(async () => (await ctl(ctlSock, "sse-log")).some((e) => e.event === "plain"), "plain on roomcast");
  const log = await ctl(ctlSock, "sse-log");
  assert.deepEqual(log.find((e) => e.event === "plain").args, [{ x: 1 }]);
});

test("allRooms: no such request in the sharded protocol, so this node's rooms, marked incomplete", async () => {
  const r = await ctl(ctlSock, "allRooms");
  assert.ok(r.rooms.includes(rcA.id) && r.rooms.includes("room1"));
  assert.ok(!r.rooms.includes(ndA.id));
  assert.equal(r.complete, false);
});

test("stats show the shard subscriber", async () => {
  const s = await ctl(ctlSock, "stats");
  assert.equal(s.subscribed, true);
  assert.ok(s.received > 0 && s.published > 0);
  assert.equal(s.publishErrors, 0);
});

test("arguments as deep as a client may send cross both ways; deeper ones from Node are dropped and counted", async () => {
  await checkDepthRule(mix);
});

test("after a Redis restart the shard subscriptions come back by themselves", async () => {
  const port = redis.port;
  await probe.quit().catch(() => {});
  await redis.stop();
  // Local delivery goes on while Redis is down.
  await ctl(ctlSock, "emit", { event: "while-down", to: ["room1"] }, 1);
  assert.deepEqual(await rcA.log.next("while-down"), [1]);
  redis = mix.redis = await startRedis(port);
  probe = createClient({ url: redis.url });
  await probe.connect();
  await eventually(async () => (await shardSubs("socket.io#/#room1#")) >= 1 && (await ctl(ctlSock, "stats")).subscribed,
    "roomcast resubscribed", 20_000);
  // A broadcast published by another node (here: by hand, as S2 of the golden samples).
  const msg = { type: 3, data: { packet: { type: 2, data: ["after-restart", 7] }, opts: { rooms: ["room1"], except: [], flags: {} } }, uid: "0123456789abcdef", nsp: "/" };
  await probe.sendCommand(["SPUBLISH", "socket.io#/#room1#", JSON.stringify(msg)]);
  assert.deepEqual(await rcA.log.next("after-restart"), [7]);
  assert.ok(rc.alive(), "the roomcast node survived the outage");
  assert.ok((await ctl(ctlSock, "stats")).reconnects >= 1);
});
