// The `roomcast-server` program (server-cli/, built by scripts/test-ops.sh with
// `cargo build --release -p roomcast-server`): a static folder, options from flags and
// environment variables (bad ones refused naming the option), --relay between real
// socket.io-clients over both transports, a /metrics scrape, SIGHUP reloading TLS, and
// SIGTERM: every client is told and the process exits 0 within the drain bound.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { io } from "socket.io-client";
import { record, once, eventually, closeAll, DEADLINE, ROOT } from "../helpers.mjs";
import { makeCerts, tempDir } from "./certs.mjs";

const BIN = path.join(ROOT, "target/release/roomcast-server");

/** Starts the program; resolves once it printed its address. */
async function start(args, env = {}) {
  const proc = spawn(BIN, args, { env: { ...process.env, ROOMCAST_LOG: "", RUST_LOG: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => {
    process.removeListener("exit", kill);
    resolve({ code, signal });
  }));
  const lines = createInterface({ input: proc.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address; stderr: ${stderr}`)), DEADLINE);
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`exited (${code}): ${stderr}`)); });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (https?):\/\/[^:]+:(\d+)$/.exec(line);
      m ? resolve(`${m[1]}://${m[1] === "https" ? "localhost" : "127.0.0.1"}:${m[2]}`) : reject(new Error(`first line: ${line}`));
    });
  });
  return { proc, url, exited, stderr: () => stderr, kill };
}

/** Runs the program expecting it to refuse its configuration; resolves with stderr. */
async function refused(args, env = {}) {
  const proc = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const timer = setTimeout(() => proc.kill("SIGKILL"), DEADLINE);
  const [code] = await once(proc, "close"); // after stderr is read to its end
  clearTimeout(timer);
  assert.equal(code, 2, `exit ${code}: ${stderr}`);
  return stderr;
}

async function connected(url, opts = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  const log = record(socket);
  // Bounded by the test's timeout (no timer here: a failed attempt leaves nothing behind).
  const gone = new Promise((resolve) => socket.once("disconnect", (...args) => resolve(args)));
  try {
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
  } catch (e) {
    socket.close();
    throw e;
  }
  return { socket, log, gone };
}

/** Emits asking for an ack; resolves with every argument of the reply. */
function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(DEADLINE).emit(event, ...args, (err, ...reply) => (err ? reject(err) : resolve(reply)));
  });
}

test("static folder, relay over both transports, metrics, and SIGTERM drains and exits 0", { timeout: 90_000 }, async () => {
  const dir = tempDir("roomcast-cli-");
  fs.writeFileSync(path.join(dir, "hello.txt"), "hello from the static folder\n");
  const drainMs = 3000;
  const srv = await start(
    ["--port", "0", "--static", dir, "--metrics-path", "/metrics", "--relay", "--drain-timeout", `${drainMs}ms`,
      "--namespace", "/chat"],
    // Options from the environment too; the socket records show the shutdown reason.
    { ROOMCAST_PING_INTERVAL: "20s", ROOMCAST_CORS_ORIGINS: "https://a.example,https://b.example",
      ROOMCAST_LOG: "info,roomcast::socket=debug" },
  );
  try {
    const page = await fetch(`${srv.url}/hello.txt`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), "hello from the static folder\n");
    assert.equal((await fetch(`${srv.url}/missing.txt`)).status, 404);
    const hs = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "https://b.example" } });
    assert.equal(hs.headers.get("access-control-allow-origin"), "https://b.example");
    assert.match(await hs.text(), /"pingInterval":20000/);

    const a = await connected(srv.url, { transports: ["polling"] });
    const b = await connected(srv.url, { transports: ["websocket"] });
    const c = await connected(srv.url); // polling, then upgrades
    const other = await connected(`${srv.url}/chat`, { transports: ["websocket"] });
    await eventually(() => c.socket.io.engine.transport.name === "websocket", "c upgraded");

    // No room joined: to the whole namespace but the sender (not /chat).
    assert.deepEqual(await ack(a.socket, "hello", 1, { x: [2] }), []);
    assert.deepEqual(await b.log.next("hello"), [1, { x: [2] }]);
    assert.deepEqual(await c.log.next("hello"), [1, { x: [2] }]);
    // Rooms: only the sender's rooms, binary included.
    assert.deepEqual(await ack(a.socket, "join", "r"), ["ok"]);
    assert.deepEqual(await ack(c.socket, "join", "r"), ["ok"]);
    assert.deepEqual(await ack(a.socket, "blob", Buffer.from([1, 2, 3])), []);
    const [blob] = await c.log.next("blob");
    assert.deepEqual(Buffer.from(blob), Buffer.from([1, 2, 3]));
    assert.deepEqual(await ack(c.socket, "leave", "r"), ["ok"]);

    const scrape = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(scrape, /^roomcast_sockets_connected\{namespace="\/"\} 3$/m);
    assert.match(scrape, /^roomcast_sockets_connected\{namespace="\/chat"\} 1$/m);
    assert.match(scrape, /^roomcast_upgrades_total 1$/m);
    assert.equal(b.log.all("blob").length, 0, "b is not in room r");
    assert.equal(other.log.all("hello").length, 0, "other namespaces do not get it");

    const t0 = Date.now();
    srv.proc.kill("SIGTERM");
    const reasons = await Promise.all([a.gone, b.gone, c.gone, other.gone]);
    // As socket.io's io.close(): the connection closes, so clients reconnect (elsewhere).
    for (const [reason] of reasons) assert.match(reason, /^transport (close|error)$/);
    const { code, signal } = await srv.exited;
    assert.equal(code, 0, `exit ${code} ${signal}: ${srv.stderr()}`);
    assert.ok(Date.now() - t0 < drainMs + 5000, `exited within the drain bound (${Date.now() - t0} ms)`);
    // The server told every socket why.
    const why = srv.stderr().match(/socket disconnected.*reason="server shutting down"/g) || [];
    assert.equal(why.length, 4, srv.stderr());
    assert.match(srv.stderr(), /stopping/);
    closeAll(a.socket, b.socket, c.socket, other.socket);
  } finally {
    srv.kill();
  }
});

test("bad options are refused naming the option", { timeout: 90_000 }, async () => {
  assert.match(await refused(["--port", "abc"]), /--port/);
  assert.match(await refused(["--port", "0"], { ROOMCAST_PING_INTERVAL: "25" }), /--ping-interval.*needs a unit/s);
  assert.match(await refused(["--port", "0", "--max-buffered-frames", "0"]), /max_buffered_frames/);
  assert.match(await refused(["--port", "0", "--allow-websocket", "nope"]), /--allow-websocket/);
  assert.match(await refused(["--port", "0", "--no-such-option", "1"]), /--no-such-option/);
  assert.match(await refused(["--port", "0", "--tls-cert", "/nonexistent/cert.pem"]), /tls/);
  assert.match(await refused(["--port", "0", "--namespace", "chat"]), /namespace/);
  assert.match(await refused(["--port", "0", "--log", "roomcast=loud"]), /--log/);
  assert.match(await refused(["--port", "0", "--listen", "false"]), /--listen false/);
  assert.match(await refused(["--port", "0"], { ROOMCAST_LISTEN: "0" }), /--listen false/);
  // Every option of the table is listed in --help.
  const help = spawn(BIN, ["--help"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  help.stdout.on("data", (d) => { out += d; });
  await once(help, "close");
  for (const flag of ["--ping-timeout", "--redis-url", "--tls-key", "--metrics-path", "--static", "--max-connections-per-ip"]) {
    assert.ok(out.includes(flag), `--help lists ${flag}`);
  }
  assert.match(out, /ROOMCAST_MAX_PAYLOAD/);
});

test("TLS from flags, SIGHUP reloads the certificate", { timeout: 90_000 }, async () => {
  const dir = tempDir("roomcast-cli-tls-");
  const first = makeCerts(dir, "one");
  const second = makeCerts(dir, "two");
  const cert = path.join(dir, "live-cert.pem");
  const key = path.join(dir, "live-key.pem");
  fs.copyFileSync(first.cert, cert);
  fs.copyFileSync(first.key, key);
  const srv = await start(["--port", "0", "--tls-cert", cert, "--tls-key", key, "--relay"]);
  try {
    assert.match(srv.url, /^https:/);
    const old = await connected(srv.url, { ca: first.ca, transports: ["websocket"] });
    fs.copyFileSync(second.cert, cert);
    fs.copyFileSync(second.key, key);
    // New files alone change nothing: the second CA does not verify the server yet.
    await assert.rejects(connected(srv.url, { ca: second.ca, transports: ["websocket"] }));
    srv.proc.kill("SIGHUP");
    // New connections get the new certificate; the open one keeps working.
    await eventually(async () => {
      try {
        const s = await connected(srv.url, { ca: second.ca, transports: ["websocket"] });
        s.socket.close();
        return true;
      } catch {
        return false;
      }
    }, "the new certificate served");
    const status = await new Promise((resolve) => {
      https.get(`${srv.url}/socket.io/?EIO=4&transport=polling`, { ca: first.ca }, (r) => resolve(r.statusCode))
        .on("error", () => resolve("refused"));
    });
    assert.equal(status, "refused", "the old CA no longer verifies");
    const peer = await connected(srv.url, { ca: second.ca, transports: ["websocket"] });
    assert.deepEqual(await ack(old.socket, "ping", "still here"), []);
    assert.deepEqual(await peer.log.next("ping"), ["still here"]);
    srv.proc.kill("SIGINT");
    assert.equal((await srv.exited).code, 0);
    closeAll(old.socket, peer.socket);
  } finally {
    srv.kill();
  }
});
