// Each binding joins a mixed cluster: the C, Python and Node chat examples (REDIS_URL set)
// beside a Node socket.io node; a chat client's "talk" reaches the Node node's client and a
// Node broadcast reaches the chat's clients. The Node binding also runs fetchSockets,
// socketsJoin and serverSideEmitWithAck across the mix. Emitters of Python and Node
// (roomcast's Rust emitter underneath) reach the Node node's clients.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, startRedis, startRoomcast, startNodeNode, client, eventually } from "./harness.mjs";

const PY = process.env.ROOMCAST_PY ?? path.join(ROOT, "target/venv-py/bin/python");
const C_CHAT = path.join(ROOT, "target/c/chat-cluster");

let redis, nd, ndA;

before(async () => {
  redis = await startRedis();
  nd = await startNodeNode(redis.url, {}, { rooms: ["room1", "KPL"] });
  ndA = await client(nd.url);
});

after(async () => {
  ndA?.socket.close();
  await nd?.close();
  await redis?.stop();
});

async function chatJoinsCluster(name, opts) {
  const node = await startRoomcast(redis.url, { ...opts, env: { ROOMCAST_EXAMPLES: path.join(ROOT, "examples"), ...(opts.env || {}) } });
  try {
    await eventually(async () => (await nd.io.of("/").adapter.serverCount()) === 2, `${name} subscribed`);
    const a = await client(node.url);
    a.socket.emit("talk", `hello from ${name}`);
    assert.deepEqual(await ndA.log.next("talk"), [`hello from ${name}`]);
    nd.io.to("KPL").except(ndA.id).emit("talk", `hello ${name}`);
    // With connection state recovery on (the chats turn it on), the node appends its
    // offset as a last argument: the message is the first.
    assert.equal((await a.log.next("talk"))[0], `hello ${name}`);
    a.socket.close();
  } finally {
    node.close();
  }
  await eventually(async () => (await nd.io.of("/").adapter.serverCount()) === 1, `${name} left`);
}

test("the C chat joins the cluster", { skip: !fs.existsSync(C_CHAT) && "target/c/chat-cluster not built" }, async () => {
  await chatJoinsCluster("C", { cmd: C_CHAT });
});

test("the Python chat joins the cluster (client_manager=RedisManager)", { skip: !fs.existsSync(PY) && "no Python venv" }, async () => {
  await chatJoinsCluster("Python", { cmd: PY, args: [path.join(ROOT, "examples/python/chat.py")] });
});

test("the Node chat joins the cluster (adapter: redisAdapter)", async () => {
  // require('roomcast') from the chat resolves to bindings/node through NODE_PATH.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "roomcast-nodepath-"));
  fs.symlinkSync(path.join(ROOT, "bindings/node"), path.join(dir, "roomcast"));
  try {
    await chatJoinsCluster("Node", { cmd: process.execPath, args: [path.join(ROOT, "examples/node/chat.js")], env: { NODE_PATH: dir } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the Node binding: fetchSockets, socketsJoin and serverSideEmitWithAck across the mix", async () => {
  const node = await startRoomcast(redis.url, { cmd: process.execPath, args: [path.join(ROOT, "tests/cluster/nodes/binding-node.cjs")] });
  try {
    await eventually(async () => (await nd.io.of("/").adapter.serverCount()) === 2, "binding subscribed");
    const b = await client(node.url);
    const list = await b.socket.timeout(10_000).emitWithAck("fetch");
    const remote = list.find((s) => s.id === ndA.id);
    assert.deepEqual(remote.data, { user: `u${nd.port}` });
    const mine = (await nd.io.in("room1").fetchSockets()).find((s) => s.id === b.id);
    assert.deepEqual(mine.data, { user: "binding" });
    await b.socket.timeout(10_000).emitWithAck("join-remote", ndA.id, "via-binding");
    await eventually(() => nd.io.of("/").adapter.rooms.get("via-binding")?.has(ndA.id), "joined");
    assert.deepEqual(await b.socket.timeout(10_000).emitWithAck("sse"), ["pong-node"]);
    assert.deepEqual(await nd.io.serverSideEmitWithAck("ping-servers", 3), ["pong-binding-3"]);
    b.socket.close();
  } finally {
    node.close();
  }
});

test("the Node binding with shardedRedisAdapter joins a createShardedAdapter Node node", async () => {
  const nds = await startNodeNode(redis.url, { sharded: true });
  const ndsA = await client(nds.url);
  const node = await startRoomcast(redis.url, { cmd: process.execPath, args: [path.join(ROOT, "tests/cluster/nodes/binding-node.cjs")], env: { SHARDED: "1" } });
  try {
    await eventually(async () => (await nds.io.of("/").adapter.serverCount()) === 2, "sharded binding subscribed");
    const b = await client(node.url);
    const list = await b.socket.timeout(10_000).emitWithAck("fetch");
    assert.deepEqual(list.find((s) => s.id === ndsA.id).data, { user: `u${nds.port}` });
    assert.deepEqual(await b.socket.timeout(10_000).emitWithAck("sse"), ["pong-node"]);
    assert.deepEqual(await nds.io.serverSideEmitWithAck("ping-servers", 3), ["pong-binding-3"]);
    b.socket.close();
  } finally {
    node.close();
    ndsA.socket.close();
    await nds.close();
  }
});

test("roomcast's emitter from Python and Node reaches a Node socket.io node", async () => {
  const py = fs.existsSync(PY) && spawnSync(PY, ["-c",
    `import roomcast; roomcast.RedisManager(${JSON.stringify(redis.url)}, write_only=True).emit("from-py-emitter", {"a": 1}, room="room1")`],
    { encoding: "utf8" });
  if (py) {
    assert.equal(py.status, 0, py.stderr);
    assert.deepEqual(await ndA.log.next("from-py-emitter"), [{ a: 1 }]);
  }
  const js = spawnSync(process.execPath, ["-e",
    `const { Emitter } = require(${JSON.stringify(path.join(ROOT, "bindings/node"))});
     new Emitter({ url: ${JSON.stringify(redis.url)} }).to("room1").emit("from-node-emitter", Buffer.from([1, 2]), "x");`],
    { encoding: "utf8" });
  assert.equal(js.status, 0, js.stderr);
  const [bin, x] = await ndA.log.next("from-node-emitter");
  assert.deepEqual([...bin], [1, 2]);
  assert.equal(x, "x");
});
