// The C ABI's cluster calls (tests/c/cluster_test.c) in a mixed cluster: the C node and a
// real Node socket.io node (@socket.io/redis-adapter 8.3, tests/cluster's packages) on a
// redis-server started here, real socket.io-clients on both. fetchSockets, allRooms,
// serverCount and serverSideEmit (with and without ack) from C reach the Node node, and
// the Node node's requests are answered by the C node. The last test runs a second C node
// with the sharded adapter (roomcast_config_set_redis_sharded) beside a Node node using
// createShardedAdapter.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startC, DEADLINE } from "./harness.mjs";
import { startRedis, startNodeNode, client, eventually } from "../cluster/harness.mjs";

let redis, nd, ndA, cnode, c;

before(async () => {
  redis = await startRedis();
  nd = await startNodeNode(redis.url);
  ndA = await client(nd.url);
  cnode = await startC("cluster_test", [redis.url]);
  await eventually(async () => (await nd.io.of("/").adapter.serverCount()) === 2, "C node subscribed", DEADLINE);
  c = await client(cnode.url);
});

after(async () => {
  ndA?.socket.close();
  c?.socket.close();
  cnode?.kill();
  await nd?.close();
  await redis?.stop();
});

const request = (...args) => c.socket.timeout(DEADLINE).emitWithAck("request", ...args);

test("fetchSockets from C lists the sockets of both nodes with their data and rooms", async () => {
  const r = await request("fetch");
  assert.equal(r.complete, true);
  assert.equal(r.expected, 1);
  const remote = r.value.find((s) => s.id === ndA.id);
  assert.deepEqual(remote.data, { user: `u${nd.port}` });
  assert.ok(remote.rooms.includes("room1"));
  assert.equal(typeof remote.handshake.time, "string");
  const mine = r.value.find((s) => s.id === c.id);
  assert.deepEqual(mine.data, { user: "c" });
  assert.equal(r.value.length, 2);
});

test("fetchSockets from the Node node sees the C node's socket", async () => {
  const mine = (await nd.io.in("room1").fetchSockets()).find((s) => s.id === c.id);
  assert.deepEqual(mine.data, { user: "c" });
  assert.ok(mine.rooms.has("room1"));
});

test("allRooms and serverCount from C", async () => {
  const rooms = await request("rooms");
  assert.equal(rooms.complete, true);
  for (const r of ["room1", ndA.id, c.id]) assert.ok(rooms.value.includes(r), `${r} in ${rooms.value}`);
  assert.deepEqual(await request("count"), { value: 2 });
});

test("serverSideEmitWithAck from C gets the Node node's answer", async () => {
  const r = await request("sse-ack", 7);
  assert.deepEqual(r.value, ["pong-node"]);
  assert.equal(r.complete, true);
  assert.deepEqual(nd.sse.at(-1), { nsp: "/", args: [7] });
});

test("serverSideEmit from C reaches the Node node; the Node node's is answered by C", async () => {
  assert.equal(await request("sse"), true);
  await eventually(() => nd.sse.find((e) => e.event === "note"), "note on the Node node");
  assert.deepEqual(nd.sse.find((e) => e.event === "note").args, ["from-c", { n: 1 }]);
  assert.deepEqual(await nd.io.serverSideEmitWithAck("ping-servers", 3), ["pong-c-3"]);
});

test("socketsJoin from C moves a socket of the Node node", async () => {
  assert.equal(await request("join-remote", ndA.id, "via-c"), true);
  await eventually(() => nd.io.of("/").adapter.rooms.get("via-c")?.has(ndA.id), "joined", DEADLINE);
});

test("wrong uses of the cluster calls fail with their codes", async () => {
  const INVALID_ARGUMENT = -5, INVALID_JSON = -4, NULL = -1, NO_SUCH_NAMESPACE = -6;
  assert.deepEqual(await request("misuse"), {
    unknownKind: INVALID_ARGUMENT,
    targetOnAllRooms: INVALID_ARGUMENT,
    eventOnCount: INVALID_ARGUMENT,
    timeoutOnFetch: INVALID_ARGUMENT,
    badJson: INVALID_JSON,
    nullEvent: NULL,
    sseBadJson: INVALID_JSON,
    nullNsp: NULL,
    unknownNamespace: NO_SUCH_NAMESPACE,
  });
});

test("the C node stops cleanly (exit status = failed C expectations)", async () => {
  c.socket.emit("shutdown");
  const r = await cnode.exit;
  assert.equal(r.code, 0, r.stderr);
  cnode = null;
});

test("a C node with the sharded adapter joins a createShardedAdapter Node node", async () => {
  const nds = await startNodeNode(redis.url, { sharded: true });
  const ndsA = await client(nds.url);
  const cs = await startC("cluster_test", [redis.url, "dynamic"]);
  try {
    await eventually(async () => (await nds.io.of("/").adapter.serverCount()) === 2, "sharded C node subscribed", DEADLINE);
    const cc = await client(cs.url);
    const ask = (...args) => cc.socket.timeout(DEADLINE).emitWithAck("request", ...args);
    assert.deepEqual(await ask("count"), { value: 2 });
    const r = await ask("fetch");
    assert.equal(r.complete, true);
    assert.deepEqual(r.value.find((s) => s.id === ndsA.id).data, { user: `u${nds.port}` });
    assert.deepEqual((await ask("sse-ack", 4)).value, ["pong-node"]);
    assert.deepEqual(await nds.io.serverSideEmitWithAck("ping-servers", 5), ["pong-c-5"]);
    nds.io.to("room1").emit("sharded-hello", 1);
    assert.deepEqual(await cc.log.next("sharded-hello"), [1]);
    cc.socket.emit("shutdown");
    const exit = await cs.exit;
    assert.equal(exit.code, 0, exit.stderr);
  } finally {
    cs.kill();
    ndsA.socket.close();
    await nds.close();
  }
});
