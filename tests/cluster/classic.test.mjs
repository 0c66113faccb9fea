// A roomcast node and a Node socket.io node (@socket.io/redis-adapter 8.3) on one Redis,
// real socket.io-clients on both: every cluster operation, in both directions.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { startMixedPair, client, ctl, eventually, quiet, checkDepthRule } from "./harness.mjs";

let mix, redis, rc, nd, rcA, rcB, ndA, ctlSock;

before(async () => {
  mix = await startMixedPair();
  ({ redis, rc, nd, rcA, rcB, ndA, ctlSock } = mix);
});

after(async () => {
  await mix?.close();
});

test("serverCount is 2 on both nodes", async () => {
  assert.equal(await nd.io.of("/").adapter.serverCount(), 2);
  assert.deepEqual(await ctl(ctlSock, "serverCount"), { count: 2 });
});

test("roomcast broadcasts reach Node clients (room, all, except, binary)", async () => {
  await ctl(ctlSock, "emit", { event: "hello", to: ["room1"] }, { a: 1 });
  assert.deepEqual(await ndA.log.next("hello"), [{ a: 1 }]);
  assert.deepEqual(await rcA.log.next("hello"), [{ a: 1 }]);

  await ctl(ctlSock, "emit", { event: "news" }, "x");
  assert.deepEqual(await ndA.log.next("news"), ["x"]);

  await ctl(ctlSock, "emit", { event: "skip", to: ["room1"], except: [ndA.id] }, 1);
  assert.deepEqual(await rcA.log.next("skip"), [1]);
  await quiet();
  assert.equal(ndA.log.all("skip").length, 0, "the excepted Node client got it");

  await ctl(ctlSock, "emit", { event: "bin", to: ["room1"] }, Buffer.from([1, 2, 3]), { nested: Buffer.from("hi") });
  const [b, o] = await ndA.log.next("bin");
  assert.deepEqual([...b], [1, 2, 3]);
  assert.equal(Buffer.from(o.nested).toString(), "hi");
});

test("Node broadcasts reach roomcast clients (room, all, except, binary, volatile)", async () => {
  nd.io.to("room1").emit("from-node", { n: 1 });
  assert.deepEqual(await rcA.log.next("from-node"), [{ n: 1 }]);
  nd.io.emit("all-node", 2);
  assert.deepEqual(await rcB.log.next("all-node"), [2]);
  nd.io.to("room1").except(rcA.id).emit("except-node", 3);
  assert.deepEqual(await rcB.log.next("except-node"), [3]);
  nd.io.to(rcA.id).emit("direct", 4);
  assert.deepEqual(await rcA.log.next("direct"), [4]);
  nd.io.to("room1").emit("bin-node", Buffer.from([9, 8]), { deep: [Buffer.from([7])] });
  const [b, o] = await rcA.log.next("bin-node");
  assert.deepEqual([...b], [9, 8]);
  assert.deepEqual([...Buffer.from(o.deep[0])], [7]);
  nd.io.volatile.emit("vol-node", 5);
  assert.deepEqual(await rcA.log.next("vol-node"), [5]);
  await quiet();
  assert.equal(rcA.log.all("except-node").length, 0, "except did not hold on roomcast");
});

test("local broadcasts stay on their node", async () => {
  await ctl(ctlSock, "emit", { event: "only-rc", local: true }, 1);
  nd.io.local.emit("only-nd", 2);
  assert.deepEqual(await rcA.log.next("only-rc"), [1]);
  assert.deepEqual(await ndA.log.next("only-nd"), [2]);
  await quiet();
  assert.equal(ndA.log.all("only-rc").length, 0);
  assert.equal(rcA.log.all("only-nd").length, 0);
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
  assert.ok(node, "the Node client is listed");
  assert.deepEqual(node.rooms.sort(), [ndA.id, "room1"].sort());
  assert.deepEqual(node.data, { user: `u${nd.port}` });
  assert.equal(node.handshake.query.transport, "websocket");
  assert.equal(r.sockets.length, 4); // ctl, rcA, rcB and the Node client

  const fromNode = await nd.io.in("room1").fetchSockets();
  const mine = fromNode.find((s) => s.id === rcA.id);
  assert.ok(mine, "the roomcast client is listed");
  assert.deepEqual(mine.data, { user: `u${rc.port}` });
  assert.ok(mine.rooms.has("room1") && mine.rooms.has(rcA.id));
  assert.equal(mine.handshake.query.EIO, "4");
  assert.equal(typeof mine.handshake.headers.host, "string");
  assert.equal(fromNode.length, 4);
});

test("socketsJoin / socketsLeave work both ways", async () => {
  await ctl(ctlSock, "socketsJoin", { to: [ndA.id], rooms: ["joined-by-rc"] });
  await eventually(async () => nd.io.of("/").adapter.rooms.get("joined-by-rc")?.has(ndA.id), "Node socket joined");
  nd.io.in(rcA.id).socketsJoin("joined-by-node");
  await eventually(async () => {
    const r = await ctl(ctlSock, "fetchSockets", { to: ["joined-by-node"] });
    return r.sockets.length === 1 && r.sockets[0].id === rcA.id;
  }, "roomcast socket joined");
  nd.io.in(rcA.id).socketsLeave("joined-by-node");
  await eventually(async () => (await ctl(ctlSock, "fetchSockets", { to: ["joined-by-node"] })).sockets.length === 0, "left");
  await ctl(ctlSock, "socketsLeave", { to: [ndA.id], rooms: ["joined-by-rc"] });
  await eventually(async () => !nd.io.of("/").adapter.rooms.get("joined-by-rc"), "Node socket left");
});

test("allRooms merges both nodes", async () => {
  const r = await ctl(ctlSock, "allRooms");
  assert.ok(r.rooms.includes(ndA.id) && r.rooms.includes(rcA.id) && r.rooms.includes("room1"));
  const fromNode = await nd.io.of("/").adapter.allRooms();
  assert.ok(fromNode.has(rcA.id) && fromNode.has(ndA.id));
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

test("the Node emitter reaches roomcast clients", async () => {
  const pub = createClient({ url: redis.url });
  await pub.connect();
  const emitter = new Emitter(pub);
  emitter.to("room1").emit("from-emitter", "hey", Buffer.from([5]));
  const [s, b] = await rcA.log.next("from-emitter");
  assert.equal(s, "hey");
  assert.deepEqual([...b], [5]);
  emitter.emit("emitter-all", 1);
  assert.deepEqual(await rcB.log.next("emitter-all"), [1]);
  // quit(), not disconnect(): the emitter does not wait for its PUBLISH replies, and
  // disconnect() rejects the ones still in flight (an unhandled rejection seen once).
  await pub.quit();
});

test("disconnectSockets works both ways", async () => {
  const victimNd = await client(nd.url);
  const victimRc = await client(rc.url);
  const ndGone = new Promise((r) => victimNd.socket.once("disconnect", r));
  await ctl(ctlSock, "disconnectSockets", { to: [victimNd.id], close: true });
  assert.equal(await ndGone, "io server disconnect");
  const rcGone = new Promise((r) => victimRc.socket.once("disconnect", r));
  nd.io.in(victimRc.id).disconnectSockets();
  assert.equal(await rcGone, "io server disconnect");
});

test("arguments as deep as a client may send cross both ways; deeper ones from Node are dropped and counted", async () => {
  await checkDepthRule(mix);
});
