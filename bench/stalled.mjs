// Memory under stalled readers (issue 12): N clients join one room and stop reading (their
// TCP receive buffers fill), then one sender broadcasts M messages of B bytes to the room.
// Samples the server's VmRSS and open fds from /proc every 100 ms and prints one JSON line:
// {server, clients, messages, bytes, base_mib, peak_mib, end_mib, freed_mib, dropped, …}
// with the times (seconds since the first reader connected) when every reader was
// connected, the burst was written, RSS peaked and half the readers were let go.
// Paused readers answer no pings either: a server also lets them go by its heartbeat,
// pingInterval + pingTimeout after their last pong (45 s by default for both servers).
// `end` is measured WAIT seconds after the last broadcast (roomcast drops stalled readers
// after its write timeout, 20 s by default; a server that never drops them keeps them).
//   node bench/stalled.mjs <server-name> <port> <pid>   (env: CLIENTS, MESSAGES, BYTES, WAIT)
// Speaks Engine.IO v4 / Socket.IO v5 frames by hand over `ws` (the bench app's `join` and
// `broadcast` events, see bench/README.md).
import fs from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(new URL("../tests/hardening/package.json", import.meta.url));
const WebSocket = require("ws");

const [name, port, pid] = process.argv.slice(2);
const CLIENTS = Number(process.env.CLIENTS ?? 1000);
const MESSAGES = Number(process.env.MESSAGES ?? 20000);
const BYTES = Number(process.env.BYTES ?? 1024);
const WAIT = Number(process.env.WAIT ?? 30);
const STEP_MS = 60_000;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const fds = () => fs.readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function client() {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  let closed = false;
  ws.on("close", () => { closed = true; });
  ws.on("error", () => { closed = true; });
  const frames = [];
  const waiters = [];
  ws.on("message", (d) => {
    const f = d.toString();
    if (f === "2") ws.send("3");
    frames.push(f);
    for (const w of waiters.splice(0)) w();
  });
  // Every step has a deadline, so a server that never answers fails the run, not hangs it.
  const wait = async (pred, what) => {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      const hit = frames.find(pred);
      if (hit) return hit;
      if (closed || Date.now() > deadline) throw new Error(`${name}: no ${what} (${closed ? "closed" : `${STEP_MS} ms`})`);
      await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
    }
  };
  await new Promise((r, j) => { ws.once("open", r); ws.once("error", j); });
  await wait((f) => f.startsWith("0{"), "Engine.IO open");
  ws.send("40");
  await wait((f) => f.startsWith("40"), "CONNECT reply");
  ws.send('421["join","stalled"]');
  await wait((f) => f.startsWith("431"), "join ack");
  frames.length = 0;
  return { ws, isClosed: () => closed };
}

const base = rss();
const t0 = Date.now();
const at = () => +((Date.now() - t0) / 1000).toFixed(1); // seconds since the first connect
const readers = [];
for (let i = 0; i < CLIENTS; i += 50) {
  readers.push(...(await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, client))));
}
console.error(`${name}: ${readers.length} readers in the room after ${at()} s`);
for (const r of readers) r.ws._socket.pause(); // stop reading: TCP buffers fill up
const sender = await client();
const fdsConnected = fds();
let peak = rss();
let peakAt = at();
let halfGoneAt = null; // when half the readers had been let go
const sampler = setInterval(() => {
  const r = rss();
  if (r > peak) { peak = r; peakAt = at(); }
  if (halfGoneAt === null && fdsConnected - fds() >= CLIENTS / 2) halfGoneAt = at();
}, 100);
const burstStart = at();
console.error(`${name}: sender connected, burst starts at ${burstStart} s`);
const payload = JSON.stringify("x".repeat(BYTES));
for (let i = 0; i < MESSAGES; i++) {
  sender.ws.send(`42["broadcast","stalled",${payload}]`);
  if (i % 500 === 499) {
    while (sender.ws.bufferedAmount > 1 << 20 && !sender.isClosed()) await sleep(5);
  }
  if (sender.isClosed()) break;
}
while (sender.ws.bufferedAmount > 0 && !sender.isClosed()) await sleep(10);
const senderDropped = sender.isClosed();
const burstEnd = at();
await sleep(WAIT * 1000);
clearInterval(sampler);
const end = rss();
peak = Math.max(peak, end);
// Readers the server let go: its open file descriptors before the burst minus after.
const fdsEnd = fds();
console.log(JSON.stringify({
  server: name, clients: CLIENTS, messages: MESSAGES, bytes: BYTES, wait_s: WAIT,
  base_mib: +base.toFixed(1), peak_mib: +peak.toFixed(1), end_mib: +end.toFixed(1),
  freed_mib: +(peak - end).toFixed(1), server_fds_connected: fdsConnected, server_fds_end: fdsEnd,
  dropped: Math.max(0, fdsConnected - fdsEnd), sender_dropped: senderDropped,
  connected_s: burstStart, burst_end_s: burstEnd, peak_at_s: peakAt, half_let_go_s: halfGoneAt,
}));
for (const r of [...readers, sender]) r.ws.terminate();
process.exit(0);
