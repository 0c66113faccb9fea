// Mixed-cluster harness: a real redis-server on a free port, roomcast nodes (the Rust
// cluster example, or any command) and real Node socket.io nodes with
// @socket.io/redis-adapter, and real socket.io-clients. Waits have generous deadlines that
// only turn a hang into a failure; nothing here measures speed.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import net from "node:net";
import path from "node:path";
import fs from "node:fs";
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { io } from "socket.io-client";
import assert from "node:assert/strict";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DEADLINE = 15_000;

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on `port` (a free one by default); `stop()` SIGKILLs it. */
export async function startRedis(port) {
  port ??= await freePort();
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d) => { out += d; });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  await eventually(() => out.includes("Ready to accept connections"), `redis-server on ${port}: ${out}`);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc,
    async stop() {
      process.removeListener("exit", kill);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      kill();
      await gone;
    },
  };
}

/**
 * Spawns a roomcast node: `cmd` (default the Rust cluster example) with PORT=0 and
 * REDIS_URL; resolves once it printed "listening on http://...:<port>".
 */
export async function startRoomcast(redisUrl, { cmd, args = [], env = {} } = {}) {
  cmd ??= path.join(ROOT, "target/release/examples/cluster");
  if (!fs.existsSync(cmd) && !args.length) throw new Error(`${cmd} is missing: cargo build --release --examples -p roomcast`);
  const proc = spawn(cmd, args, {
    env: { ...process.env, REDIS_URL: redisUrl, ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const lines = createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port; stderr: ${stderr}`)), DEADLINE);
    proc.once("exit", (code) => { clearTimeout(timer); reject(new Error(`exited (${code}): ${stderr}`)); });
    lines.on("line", (line) => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    stderr: () => stderr,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    close() {
      process.removeListener("exit", kill);
      kill();
    },
  };
}

/**
 * A Node socket.io node on the same Redis (node-redis clients with default settings plus
 * an error listener, as the adapter's README asks); `opts.sharded` picks createShardedAdapter. Every socket joins `rooms` (room1) and gets
 * data {user: "u<port>"}; serverSideEmit with ack is answered "pong-node".
 */
export async function startNodeNode(redisUrl, opts = {}, { rooms = ["room1"] } = {}) {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  const errors = [];
  pub.on("error", (e) => errors.push(e));
  sub.on("error", (e) => errors.push(e));
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  // `sharded: true` in opts: createShardedAdapter(pub, sub, rest) (Redis 7 sharded pub/sub).
  const { sharded, ...rest } = opts;
  const adapter = sharded ? createShardedAdapter(pub, sub, rest) : createAdapter(pub, sub, rest);
  const ioServer = new Server(http, { adapter });
  const sse = [];
  for (const name of ["/", "/chat"]) {
    const nsp = ioServer.of(name);
    nsp.on("connection", (socket) => {
      socket.join(rooms);
      socket.data = { user: `u${port}` };
      socket.on("echo", (v, ack) => ack?.(v));
    });
    nsp.on("ping-servers", (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      sse.push({ nsp: name, args });
      ack?.("pong-node");
    });
    nsp.on("note", (...args) => sse.push({ nsp: name, event: "note", args }));
  }
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  const port = http.address().port;
  return {
    io: ioServer,
    port,
    url: `http://127.0.0.1:${port}`,
    sse,
    errors,
    async close() {
      await new Promise((r) => ioServer.close(() => r()));
      // quit() lets the adapter's pending (un)subscribe replies arrive first.
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

/**
 * The mixed pair of classic.test.mjs and sharded.test.mjs: a redis-server, a roomcast node
 * (the cluster example with `rcEnv`) and a Node socket.io node (`nodeOpts`, as
 * startNodeNode), waited for until both count each other (serverCount 2), then four
 * clients: `ctlSock`, `rcA` and `rcB` on roomcast, `ndA` on Node. `close()` closes the
 * clients, the nodes and `redis` (a test that restarts Redis puts the new one there).
 */
export async function startMixedPair({ rcEnv = {}, nodeOpts = {} } = {}) {
  const mix = {};
  mix.redis = await startRedis();
  mix.rc = await startRoomcast(mix.redis.url, { env: rcEnv });
  mix.nd = await startNodeNode(mix.redis.url, nodeOpts);
  // serverCount is PUBSUB NUMSUB (SHARDNUMSUB when sharded) on the namespace's channel.
  await eventually(async () => (await mix.nd.io.of("/").adapter.serverCount()) === 2, "two servers");
  mix.ctlSock = await client(mix.rc.url);
  mix.rcA = await client(mix.rc.url);
  mix.rcB = await client(mix.rc.url);
  mix.ndA = await client(mix.nd.url);
  mix.close = async () => {
    for (const c of [mix.ctlSock, mix.rcA, mix.rcB, mix.ndA]) c?.socket.close();
    await mix.nd?.close();
    mix.rc?.close();
    await mix.redis?.stop();
  };
  return mix;
}

/** Records every event a socket receives; `next(event)` waits for the next untaken one. */
export function record(socket) {
  const seen = [];
  const waiters = new Set();
  socket.onAny((event, ...args) => {
    seen.push({ event, args, taken: false });
    for (const w of [...waiters]) w();
  });
  return {
    seen,
    all: (event) => seen.filter((e) => e.event === event).map((e) => e.args),
    next(event, ms = DEADLINE) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = seen.find((e) => e.event === event && !e.taken);
          if (!hit) return;
          hit.taken = true;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.args);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no "${event}" within ${ms} ms; got ${JSON.stringify(seen.map((e) => e.event))}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A connected websocket client with an event log. */
export async function client(url, nsp = "/", opts = {}) {
  const socket = io(url + (nsp === "/" ? "" : nsp), { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
  const log = record(socket);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, log, id: socket.id };
}

/** Drives a roomcast node through its `ctl` event (see examples/rust/cluster.rs). */
export function ctl(control, op, params = {}, ...args) {
  return control.socket.timeout(DEADLINE).emitWithAck("ctl", op, params, ...args);
}

export async function eventually(fn, what = "condition", ms = DEADLINE) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An argument nesting `levels` arrays around 0 (`nested(2)` is `[[0]]`). */
export function nested(levels) {
  let v = 0;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/**
 * The deepest argument a client may send roomcast: the packet `["event", arg]` then nests
 * 127 levels, the limit of both of its parsers (protocol::MAX_DEPTH). What the cluster
 * carries between nodes is held to the same rule, whatever the adapter's wire format.
 */
export const DEEPEST_ARG = 126;

/**
 * The depth rule across a mixed pair (classic or sharded): an argument as deep as a client
 * may send crosses both ways; one level more, from the Node node, reaches the Node
 * node's own client only and is counted as dropped on the roomcast node, which goes on.
 */
export async function checkDepthRule({ rc, nd, rcA, rcB, ndA, ctlSock }) {
  const deepest = nested(DEEPEST_ARG);
  await ctl(ctlSock, "emit", { event: "deep-rc" }, deepest);
  assert.deepEqual(await rcB.log.next("deep-rc"), [deepest]);
  assert.deepEqual(await ndA.log.next("deep-rc"), [deepest], "roomcast -> Node");
  nd.io.emit("deep-node", deepest);
  assert.deepEqual(await rcA.log.next("deep-node"), [deepest], "Node -> roomcast");

  const { dropped } = await ctl(ctlSock, "stats");
  nd.io.emit("too-deep", nested(DEEPEST_ARG + 1));
  nd.io.emit("after-too-deep", 1);
  assert.deepEqual(await ndA.log.next("too-deep"), [nested(DEEPEST_ARG + 1)]);
  // Pub/sub keeps a publisher's order: "too-deep" was handled before this arrived.
  assert.deepEqual(await rcA.log.next("after-too-deep"), [1]);
  assert.equal(rcA.log.all("too-deep").length, 0, "a roomcast client got what no client may send");
  assert.equal((await ctl(ctlSock, "stats")).dropped, dropped + 1);
  assert.ok(rc.alive(), "the roomcast node is still up");
}

/** Resolves when `ms` passed (used only to prove that something did NOT arrive). */
export const quiet = (ms = 300) => new Promise((r) => setTimeout(r, ms));
