// Drives the compiled C test programs with the real socket.io-client (from tests/node).
// Binaries come from target/c (built by scripts/test-c.sh); with ROOMCAST_VALGRIND=1 each
// runs under valgrind, which turns leaks and invalid accesses into a non-zero exit status.
// Every wait has a generous deadline that only turns a hang into a failure.

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(ROOT, "tests/node/package.json"));
export const { io } = require("socket.io-client");
/** socket.io-msgpack-parser, for servers started with the msgpack parser. */
export const msgpackParser = require("socket.io-msgpack-parser");

const VALGRIND = process.env.ROOMCAST_VALGRIND === "1";
/** Hang guard for a single wait (valgrind makes everything much slower). */
export const DEADLINE = VALGRIND ? 60_000 : 10_000;

/** The valgrind command line used for every C program (see tests/c/valgrind.supp). */
export const VALGRIND_ARGS = [
  "--quiet",
  "--leak-check=full",
  "--errors-for-leak-kinds=definite,possible",
  "--error-exitcode=99",
  `--suppressions=${path.join(ROOT, "tests/c/valgrind.supp")}`,
];

/**
 * Starts target/c/<name>, which prints "listening on http://127.0.0.1:<port>" first.
 * Returns `{ url, proc, exit }`; `exit` resolves with `{ code, stdout, stderr }`.
 */
export async function startC(name, args = []) {
  const bin = path.join(ROOT, "target/c", name);
  const [cmd, argv] = VALGRIND ? ["valgrind", [...VALGRIND_ARGS, bin, ...args]] : [bin, args];
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const exit = new Promise((resolve) => {
    proc.once("exit", (code, signal) => {
      process.removeListener("exit", kill);
      resolve({ code, signal, stdout, stderr });
    });
    proc.once("error", (e) => resolve({ code: -1, signal: null, stdout, stderr: `${stderr}\n${e}` }));
  });
  const lines = createInterface({ input: proc.stdout });
  lines.on("line", (l) => { stdout += l + "\n"; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no port; stderr: ${stderr}`)), DEADLINE);
    exit.then((r) => { clearTimeout(timer); reject(new Error(`${name} exited early (${r.code}): ${r.stderr}`)); });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on http:\/\/[^:]+:(\d+)/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, proc, exit, kill };
}

/** Records every event a socket receives; `next(event)` waits for the first untaken one. */
export function record(socket, { offsets = false } = {}) {
  const seen = [];
  const waiters = new Set();
  const withoutOffset = [];
  socket.onAny((event, ...args) => {
    // With connection state recovery on, every stored event ends with its offset (a
    // string): `offsets` takes it off and lists the events that came without one.
    if (offsets && typeof args.at(-1) === "string") args = args.slice(0, -1);
    else if (offsets) withoutOffset.push(event);
    seen.push({ event, args, taken: false });
    for (const w of [...waiters]) w();
  });
  return {
    withoutOffset,
    all: (event) => seen.filter((e) => e.event === event).map((e) => e.args),
    names: () => seen.map((e) => e.event),
    next(event, ms = DEADLINE) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no "${event}" within ${ms} ms; got ${JSON.stringify(seen.map((e) => e.event))}`));
        }, ms);
        function check() {
          const hit = seen.find((e) => e.event === event && !e.taken);
          if (!hit) return;
          hit.taken = true;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.args);
        }
        waiters.add(check);
        check();
      });
    },
  };
}

/** Connects a fresh socket (no reconnection) to `url + nsp` and waits for `welcome`. */
export async function connect(url, nsp = "/", opts = {}) {
  const socket = io(url + (nsp === "/" ? "" : nsp), { forceNew: true, reconnection: false, ...opts });
  const log = record(socket);
  const disconnected = new Promise((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
  try {
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    const welcome = await log.next("welcome");
    return { socket, welcome, log, disconnected };
  } catch (e) {
    socket.close();
    throw e;
  }
}

/** Connects expecting a connect_error; resolves with the error. */
export function connectError(url, nsp, opts = {}) {
  const socket = io(url + nsp, { forceNew: true, reconnection: false, ...opts });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect_error")), DEADLINE);
    socket.once("connect", () => { clearTimeout(timer); socket.close(); reject(new Error("connected unexpectedly")); });
    socket.once("connect_error", (err) => { clearTimeout(timer); socket.close(); resolve(err); });
  });
}

/** Emits with an ack and resolves with every argument of the reply. */
export function call(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(DEADLINE).emit(event, ...args, (err, ...reply) => (err ? reject(err) : resolve(reply)));
  });
}
