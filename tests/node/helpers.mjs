// Shared helpers for the end-to-end tests: start a release example binary on a free port,
// connect real socket.io-client sockets, and wait for events without timing assertions
// (every wait has a generous deadline that only turns a hang into a failure).

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";
import { io } from "socket.io-client";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** How long any single wait may take before the test fails (a hang guard, not a speed check). */
export const DEADLINE = 10_000;

/**
 * Spawns target/release/examples/<name> with PORT=0 (plus `env`), reads its port from the
 * first stdout line ("listening on http://...:<port>") and returns
 * `{ url, port, proc, stderr(), close() }`. `close()` kills it; it is also killed on exit.
 */
export async function startServer(name, env = {}) {
  const bin = path.join(ROOT, "target/release/examples", name);
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`cargo build --release --examples -p roomcast\` first`);
  }
  const proc = spawn(bin, [], { env: { ...process.env, ...env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const lines = createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no port; stderr: ${stderr}`)), DEADLINE);
    proc.once("close", (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}): ${stderr}`)); });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on https?:\/\/[^:]+:(\d+)/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  lines.on("line", () => {}); // keep draining stdout
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    stderr: () => stderr,
    close() {
      process.removeListener("exit", kill);
      kill();
    },
  };
}

/** Resolves with the args of the next `event` on `emitter`, or rejects after `ms`. */
export function once(emitter, event, ms = DEADLINE) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const on = (...args) => { clearTimeout(timer); resolve(args); };
    emitter.once(event, on);
  });
}

/**
 * Records every event a socket receives (`socket.onAny`), so tests can wait for one later
 * or check one never came. `log.next(event)` resolves with the args of the first
 * not-yet-taken event of that name.
 */
export function record(socket, { offsets = false } = {}) {
  const seen = [];
  const waiters = [];
  const withoutOffset = [];
  socket.onAny((event, ...args) => {
    // With connection state recovery on, every stored event ends with its offset (a string
    // the client keeps as its position): `offsets` takes it off and counts the ones missing.
    if (offsets && typeof args.at(-1) === "string") args = args.slice(0, -1);
    else if (offsets) withoutOffset.push(event);
    seen.push({ event, args, taken: false });
    for (const w of [...waiters]) w();
  });
  return {
    seen,
    /** Events that came without an offset (only counted with `offsets`). */
    withoutOffset,
    /** Names of received events (in order). */
    names: () => seen.map((e) => e.event),
    /** All args lists received for `event`. */
    all: (event) => seen.filter((e) => e.event === event).map((e) => e.args),
    next(event, ms = DEADLINE) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = seen.find((e) => e.event === event && !e.taken);
          if (!hit) return false;
          hit.taken = true;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(hit.args);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no "${event}" within ${ms} ms; got ${JSON.stringify(seen.map((e) => e.event))}`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
  };
}

/**
 * Connects a new socket (its own connection: forceNew, no reconnection) to `url` + `nsp`
 * and waits for the server's `welcome`. Returns `{ socket, welcome, log }` where `log`
 * recorded every event from the start.
 */
export async function connect(url, nsp = "/", opts = {}) {
  const socket = io(url + (nsp === "/" ? "" : nsp), { forceNew: true, reconnection: false, ...opts });
  const log = record(socket);
  const connected = new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  try {
    await connected;
    const [welcome] = await log.next("welcome");
    return { socket, welcome, log };
  } catch (e) {
    socket.close();
    throw e;
  }
}

/** Emits with an ack and waits for it (rejects when the server does not answer in time). */
export function call(socket, event, ...args) {
  return socket.timeout(DEADLINE).emitWithAck(event, ...args);
}

/** Emits with an ack and resolves with every argument of the reply (an array). */
export function callAll(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(DEADLINE).emit(event, ...args, (err, ...reply) => (err ? reject(err) : resolve(reply)));
  });
}

/** Polls `fn` until it returns a truthy value (or fails after the deadline). */
export async function eventually(fn, what = "condition", ms = DEADLINE) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The server's record of how socket `sid` disconnected (`{sid, nsp, reason}`), asked
 * through `observer` (another connected socket), waiting until it appears.
 */
export function disconnectOf(observer, sid) {
  return eventually(async () => {
    const log = await call(observer, "last-disconnects");
    return log.find((d) => d.sid === sid);
  }, `disconnect of ${sid}`);
}

/** Closes every given socket. */
export function closeAll(...sockets) {
  for (const s of sockets) s?.close();
}
