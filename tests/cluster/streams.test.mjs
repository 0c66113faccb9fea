// Connection state recovery across nodes with the Redis Streams adapter: roomcast nodes
// (REDIS_STREAMS=1) and a real Node socket.io node on @socket.io/redis-streams-adapter
// 0.3 (pinned in package-lock.json) on one real redis-server, real socket.io-clients.
// Covers recovery on the other node, broadcasts and requests both ways across the mix,
// recovery on either side, recovery after SIGKILL of the client's node, and an explicit
// disconnect (no recovery). The Redis outage is in streams-outage.test.mjs.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { startRedis, startRoomcast, client, ctl, eventually, DEADLINE, nested, DEEPEST_ARG } from "./harness.mjs";
import { startStreamsNode } from "./streams-node.mjs";

const WINDOW = 60_000;
const STREAMS = { REDIS_STREAMS: "1", RECOVERY_MS: String(WINDOW) };
let redis, cmd, a, b, nd, ctlA, ctlB;

before(async () => {
  redis = await startRedis();
  cmd = createClient({ url: redis.url });
  cmd.on("error", () => {});
  await cmd.connect();
  a = await startRoomcast(redis.url, { env: STREAMS });
  b = await startRoomcast(redis.url, { env: STREAMS });
  nd = await startStreamsNode(redis.url, { window: WINDOW });
  ctlA = await client(a.url);
  ctlB = await client(b.url);
  await eventually(async () => (await ctl(ctlA, "serverCount")).count === 3, "three servers");
});

after(async () => {
  for (const c of [ctlA, ctlB]) c?.socket.close();
  a?.close();
  b?.close();
  await nd?.close();
  await cmd?.quit().catch(() => {});
  await redis?.stop();
});

/** Waits until the stream holds a broadcast whose data contains `text`; returns its entry. */
async function inStream(text) {
  return eventually(async () => {
    const entries = await cmd.xRange("socket.io", "-", "+");
    return entries.find((e) => e.message.type === "3" && e.message.data.includes(JSON.stringify(text)));
  }, `"${text}" in the stream`);
}

/** Emits from a roomcast node and waits until the broadcast is in the stream. */
async function emitVia(control, text, to = ["room1"]) {
  await ctl(control, "emit", { event: "news", to }, text);
  return inStream(text);
}

/** Drops the client's transport and waits until its node saw the socket leave. */
async function drop(c, control) {
  const id = c.socket.id;
  c.socket.io.engine.close();
  await eventually(async () => {
    const r = await ctl(control, "fetchSockets", { to: ["room1"] });
    return !r.sockets.some((s) => s.id === id);
  }, `${id} gone`);
}

/** Points the same Socket (its pid and offset) at another server and reconnects. */
async function reconnectTo(c, url) {
  const u = new URL(url);
  c.socket.io.uri = url;
  c.socket.io.opts.hostname = u.hostname;
  c.socket.io.opts.port = u.port;
  const back = new Promise((resolve, reject) => {
    c.socket.once("connect", resolve);
    c.socket.once("connect_error", reject);
  });
  c.socket.connect();
  await back;
}

/** A client of `url`, once its node has put it in room1 (seen from anywhere in the cluster). */
async function member(url) {
  const c = await client(url);
  await eventually(async () => (await ctl(ctlA, "fetchSockets", { to: ["room1"] })).sockets.some((s) => s.id === c.id), `${c.id} in room1`);
  return c;
}

const texts = (c) => c.log.all("news").map((n) => n[0]);

test("the stream carries the Node adapter's fields; offsets are stream ids", async () => {
  const c = await member(a.url);
  try {
    const entry = await emitVia(ctlB, "format");
    assert.equal(entry.message.nsp, "/");
    assert.match(entry.message.uid, /^[0-9a-f]{16}$/);
    assert.deepEqual(JSON.parse(entry.message.data), {
      packet: { type: 2, data: ["news", "format"] },
      opts: { rooms: ["room1"], except: [], flags: {} },
    });
    const [text, offset] = await c.log.next("news");
    assert.equal(text, "format");
    assert.equal(offset, entry.id, "the offset is the stream entry id");
  } finally {
    c.socket.close();
  }
});

test("a client of node A recovers on node B: id, rooms, missed broadcasts once, in order", async () => {
  const c = await member(a.url);
  try {
    const id = c.socket.id;
    await ctl(ctlA, "socketsJoin", { to: [id], rooms: ["extra"] });
    await emitVia(ctlB, "before");
    await eventually(() => texts(c).includes("before"), "before");
    await drop(c, ctlA);
    await emitVia(ctlB, "missed 1");
    await emitVia(ctlA, "missed 2");
    await emitVia(ctlB, "only extra", ["extra"]);
    await emitVia(ctlA, "not for it", ["elsewhere"]);
    await reconnectTo(c, b.url);
    assert.equal(c.socket.recovered, true);
    assert.equal(c.socket.id, id);
    const there = await ctl(ctlB, "fetchSockets", { to: ["extra"] });
    assert.deepEqual(there.sockets.filter((s) => s.id === id).map((s) => s.rooms.sort()), [[id, "extra", "room1"].sort()]);
    await emitVia(ctlA, "after");
    await eventually(() => texts(c).includes("after"), "after");
    assert.deepEqual(texts(c), ["before", "missed 1", "missed 2", "only extra", "after"]);
  } finally {
    c.socket.close();
  }
});

test("an explicit disconnect is not recovered on the other node", async () => {
  const c = await member(a.url);
  try {
    const id = c.socket.id;
    await emitVia(ctlA, "x");
    await eventually(() => texts(c).includes("x"), "x");
    const pid = c.socket._pid;
    // The mirror (below) has the live session in Redis; an explicit disconnect removes it.
    await eventually(async () => (await cmd.exists(`sio:session:${pid}`)) === 1, "session mirrored");
    c.socket.disconnect();
    await eventually(async () => (await cmd.exists(`sio:session:${pid}`)) === 0, "session removed");
    await reconnectTo(c, b.url);
    assert.equal(c.socket.recovered, false);
    assert.notEqual(c.socket.id, id);
  } finally {
    c.socket.close();
  }
});

test("mixed with Node socket.io (@socket.io/redis-streams-adapter): broadcasts and requests both ways", async () => {
  const r = await member(a.url);
  const n = await member(nd.url);
  try {
    nd.io.to("room1").except(n.id).emit("news", "from node");
    const [t1, off1] = await r.log.next("news");
    assert.equal(t1, "from node");
    assert.match(off1, /^\d+-\d+$/);
    await ctl(ctlA, "emit", { event: "news", to: ["room1"] }, "from roomcast");
    const [t2, off2] = await n.log.next("news");
    assert.equal(t2, "from roomcast");
    assert.match(off2, /^\d+-\d+$/, "the Node node appends the stream offset too");
    // Binary both ways (base64 msgpack in the stream).
    nd.io.to("room1").except(n.id).emit("bin", Buffer.from([1, 2, 3]));
    const [bin] = await r.log.next("bin");
    assert.deepEqual([...bin], [1, 2, 3]);
    await ctl(ctlA, "emit", { event: "bin", to: ["room1"] }, Buffer.from([4, 5]));
    const [bin2] = await n.log.next("bin");
    assert.deepEqual([...bin2], [4, 5]);
    // Requests and responses over pub/sub.
    const fromNode = await nd.io.in("room1").fetchSockets();
    assert.ok(fromNode.some((s) => s.id === r.id), "Node's fetchSockets sees the roomcast socket");
    const fromRoomcast = await ctl(ctlA, "fetchSockets", { to: ["room1"] });
    const remote = fromRoomcast.sockets.find((s) => s.id === n.id);
    assert.deepEqual(remote.data, { user: "node" });
    const replies = await ctl(ctlA, "serverSideEmitWithAck", { event: "ping-servers" }, 7);
    assert.ok(JSON.stringify(replies).includes("pong-node-7"), JSON.stringify(replies));
    // Emits with acks both ways (pub/sub requests, client counts and acks as responses).
    r.socket.on("ask", (x, ack) => ack(`r-${x}`));
    n.socket.on("ask", (x, ack) => ack(`n-${x}`));
    const acked = await ctl(ctlA, "emitWithAck", { event: "ask", to: [r.id, n.id], timeout: 5000 }, 1);
    assert.equal(acked.timedOut, false);
    assert.ok(acked.replies.includes("n-1") && acked.replies.includes("r-1"), JSON.stringify(acked));
    const fromNodeAcks = await nd.io.timeout(5000).to([r.id, n.id]).emitWithAck("ask", 2);
    assert.ok(fromNodeAcks.includes("r-2") && fromNodeAcks.includes("n-2"), JSON.stringify(fromNodeAcks));
    // socketsJoin from Node reaches the roomcast socket (through the stream).
    nd.io.in(r.id).socketsJoin("joined-by-node");
    await eventually(async () => {
      const f = await ctl(ctlA, "fetchSockets", { to: ["joined-by-node"] });
      return f.sockets.some((s) => s.id === r.id);
    }, "joined by node");
  } finally {
    r.socket.close();
    n.socket.close();
  }
});

test("arguments as deep as a client may send cross the stream; deeper ones from Node are dropped and counted", async () => {
  const [r, rb, n] = [await member(a.url), await member(b.url), await member(nd.url)];
  const deepest = nested(DEEPEST_ARG);
  try {
    // A node delivers its own broadcasts from the stream too: even r is a reader here.
    await ctl(ctlA, "emit", { event: "deep-rc", to: ["room1"] }, deepest);
    for (const c of [r, rb, n]) assert.deepEqual((await c.log.next("deep-rc"))[0], deepest);
    nd.io.to("room1").emit("deep-node", deepest);
    assert.deepEqual((await r.log.next("deep-node"))[0], deepest, "Node -> roomcast");

    const { dropped } = await ctl(ctlA, "stats");
    nd.io.to("room1").emit("too-deep", nested(DEEPEST_ARG + 1));
    nd.io.to("room1").emit("after-too-deep", 1);
    assert.deepEqual((await n.log.next("too-deep"))[0], nested(DEEPEST_ARG + 1));
    // The stream is read in order: "too-deep" was handled before this arrived.
    assert.equal((await r.log.next("after-too-deep"))[0], 1);
    assert.equal(r.log.all("too-deep").length, 0, "a roomcast client got what no client may send");
    assert.equal((await ctl(ctlA, "stats")).dropped, dropped + 1);
    assert.ok(a.alive() && b.alive(), "the roomcast nodes are still up");
  } finally {
    for (const c of [r, rb, n]) c.socket.close();
  }
});

test("a roomcast client recovers on the Node node, and a Node client on roomcast", async () => {
  const r = await member(a.url);
  const n = await member(nd.url);
  try {
    const [rid, nid] = [r.socket.id, n.socket.id];
    await emitVia(ctlA, "start");
    await eventually(() => texts(r).includes("start") && texts(n).includes("start"), "start");
    await drop(r, ctlA);
    n.socket.io.engine.close();
    await eventually(async () => !(await nd.io.fetchSockets()).some((s) => s.id === nid), "node client gone");
    nd.io.to("room1").emit("news", "gap 1");
    await inStream("gap 1");
    await emitVia(ctlB, "gap 2");
    await reconnectTo(r, nd.url);
    await reconnectTo(n, a.url);
    assert.equal(r.socket.recovered, true, "roomcast → Node");
    assert.equal(r.socket.id, rid);
    assert.equal(n.socket.recovered, true, "Node → roomcast");
    assert.equal(n.socket.id, nid);
    await eventually(() => texts(r).includes("gap 2") && texts(n).includes("gap 2"), "replayed");
    assert.deepEqual(texts(r), ["start", "gap 1", "gap 2"]);
    assert.deepEqual(texts(n), ["start", "gap 1", "gap 2"]);
    const data = (await ctl(ctlA, "fetchSockets", { to: [nid] })).sockets.map((s) => s.data);
    assert.deepEqual(data, [{ user: "node" }], "the Node session's data came back on roomcast");
  } finally {
    r.socket.close();
    n.socket.close();
  }
});

test("a client that reconnects to its node before the drop was noticed replaces its zombie socket", async () => {
  const c = await member(a.url);
  try {
    const id = c.socket.id;
    await emitVia(ctlB, "z1");
    await eventually(() => texts(c).includes("z1"), "z1");
    const key = `sio:session:${c.socket._pid}`;
    await eventually(async () => (await cmd.exists(key)) === 1, "session mirrored");
    // A second connection with the same pid and offset while the first is still up (as a
    // phone that switched networks): the mirror's session is restored, the old socket goes.
    const twin = await client(a.url, "/", { auth: { pid: c.socket._pid, offset: c.socket._lastOffset } });
    try {
      // (socket.io-client sets `recovered` only for a pid it had itself; the id tells.)
      assert.equal(twin.socket.id, id);
      const listed = await ctl(ctlA, "fetchSockets", { to: [id] });
      assert.equal(listed.sockets.length, 1, JSON.stringify(listed));
      assert.deepEqual(listed.sockets[0].rooms.sort(), [id, "room1"].sort());
      await emitVia(ctlB, "z2");
      await eventually(() => texts(twin).includes("z2"), "z2 to the new socket");
    } finally {
      twin.socket.close();
    }
  } finally {
    c.socket.close();
  }
});

test("after SIGKILL of its node, a client recovers on another node (session mirrored to Redis)", async () => {
  const c3 = await startRoomcast(redis.url, { env: STREAMS });
  const ctlC = await client(c3.url);
  const c = await member(c3.url);
  try {
    const id = c.socket.id;
    await ctl(ctlC, "socketsJoin", { to: [id], rooms: ["late-room"] });
    await emitVia(ctlB, "before kill");
    await eventually(() => texts(c).includes("before kill"), "before kill");
    // The mirror writes changed sessions every second: wait until it has the new room.
    const key = `sio:session:${c.socket._pid}`;
    await eventually(async () => {
      const raw = await cmd.get(key);
      return raw && Buffer.from(raw, "base64").includes(Buffer.from("late-room"));
    }, "session mirrored with late-room");
    const gone = new Promise((r) => c.socket.once("disconnect", r));
    c3.proc.kill("SIGKILL");
    await gone;
    await emitVia(ctlB, "while dead", ["late-room"]);
    await emitVia(ctlA, "while dead 2");
    await reconnectTo(c, b.url);
    assert.equal(c.socket.recovered, true);
    assert.equal(c.socket.id, id);
    await eventually(() => texts(c).includes("while dead 2"), "replayed");
    assert.deepEqual(texts(c), ["before kill", "while dead", "while dead 2"]);
  } finally {
    c.socket.close();
    ctlC.socket.close();
    c3.close();
  }
});

test("a socket.io-client that comes back after the window gets a fresh session", { timeout: DEADLINE * 4 }, async () => {
  const short = await startRoomcast(redis.url, { env: { REDIS_STREAMS: "1", RECOVERY_MS: "1000" } });
  const c = await member(short.url);
  try {
    const id = c.socket.id;
    await emitVia(ctlA, "short");
    await eventually(() => texts(c).includes("short"), "short");
    const ctlS = await client(short.url);
    await drop(c, ctlS);
    ctlS.socket.close();
    const key = `sio:session:${c.socket._pid}`;
    await eventually(async () => (await cmd.exists(key)) === 0, "session expired", 10_000);
    await reconnectTo(c, short.url);
    assert.equal(c.socket.recovered, false);
    assert.notEqual(c.socket.id, id);
  } finally {
    c.socket.close();
    short.close();
  }
});
