// Each binding selects the Redis Streams adapter (REDIS_STREAMS=1 in the C, Python and
// Node chat examples: roomcast_config_set_redis_streams, redis_streams=True,
// redisStreams: true) and joins a cluster with a Node socket.io node on
// @socket.io/redis-streams-adapter: a chat client's "talk" reaches the Node node's client,
// and a Node broadcast reaches the chat's client with a stream entry id as its offset (the
// classic adapter would give a local counter).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, startRedis, startRoomcast, client, eventually } from "./harness.mjs";
import { startStreamsNode } from "./streams-node.mjs";

const PY = process.env.ROOMCAST_PY ?? path.join(ROOT, "target/venv-py/bin/python");
const C_CHAT = path.join(ROOT, "target/c/chat-cluster");

let redis, nd, ndA;

before(async () => {
  redis = await startRedis();
  nd = await startStreamsNode(redis.url, { rooms: ["room1", "KPL"] });
  ndA = await client(nd.url);
});

after(async () => {
  ndA?.socket.close();
  await nd?.close();
  await redis?.stop();
});

async function chatJoinsStreamsCluster(name, opts) {
  const env = { ROOMCAST_EXAMPLES: path.join(ROOT, "examples"), REDIS_STREAMS: "1", ...(opts.env || {}) };
  const node = await startRoomcast(redis.url, { ...opts, env });
  try {
    await eventually(async () => (await nd.io.of("/").adapter.serverCount()) === 2, `${name} subscribed`);
    const a = await client(node.url);
    a.socket.emit("talk", `hello from ${name}`);
    const [text, offset] = await ndA.log.next("talk");
    assert.equal(text, `hello from ${name}`);
    assert.match(offset, /^\d+-\d+$/, "the Node node got it from the stream");
    nd.io.to("KPL").except(ndA.id).emit("talk", `hello ${name}`);
    const [back, backOffset] = await a.log.next("talk");
    assert.equal(back, `hello ${name}`);
    assert.match(backOffset, /^\d+-\d+$/, "a stream id offset: the streams adapter is in use");
    a.socket.close();
  } finally {
    node.close();
  }
  await eventually(async () => (await nd.io.of("/").adapter.serverCount()) === 1, `${name} left`);
}

test("the C chat joins a streams cluster", { skip: !fs.existsSync(C_CHAT) && "target/c/chat-cluster not built" }, async () => {
  await chatJoinsStreamsCluster("C", { cmd: C_CHAT });
});

test("the Python chat joins a streams cluster (redis_streams=True)", { skip: !fs.existsSync(PY) && "no Python venv" }, async () => {
  await chatJoinsStreamsCluster("Python", { cmd: PY, args: [path.join(ROOT, "examples/python/chat.py")] });
});

test("the Node chat joins a streams cluster (redisStreams: true)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "roomcast-nodepath-"));
  fs.symlinkSync(path.join(ROOT, "bindings/node"), path.join(dir, "roomcast"));
  try {
    await chatJoinsStreamsCluster("Node", { cmd: process.execPath, args: [path.join(ROOT, "examples/node/chat.js")], env: { NODE_PATH: dir } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
