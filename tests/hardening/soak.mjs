// The soak driver (run by scripts/soak.sh, not by node --test): mixed traffic against a
// running e2e server for SOAK_SECONDS, sampling the server's RSS and open fds every
// SAMPLE_SECONDS. Traffic: connect/disconnect churn over polling and WebSocket, steady
// clients in rooms receiving broadcasts, acks both ways, a stalled reader now and then
// (dropped by the server's write timeout) and a flood now and then. At the end every
// client is closed; the server must come back to where it started: the same fds (±2) and
// RSS within 25 % (+8 MiB) of the level after warm-up. Prints CSV samples and a summary.
//   node tests/hardening/soak.mjs <url> <pid>       (env: SOAK_SECONDS, SAMPLE_SECONDS)
import fs from "node:fs";
import WebSocket from "ws";
import { io } from "socket.io-client";

const [url, pid] = process.argv.slice(2);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 3600);
const SAMPLE = Number(process.env.SAMPLE_SECONDS ?? 10);
const port = new URL(url).port;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const fds = () => fs.readdirSync(`/proc/${pid}/fd`).length;
const end = Date.now() + SECONDS * 1000;
const running = () => Date.now() < end;
const stats = { churned: 0, acks: 0, broadcasts: 0, stalled: 0, floods: 0, errors: 0 };

function ioClient(transports) {
  return io(url, { forceNew: true, reconnection: false, transports });
}
const connected = (s) => new Promise((res, rej) => { s.once("connect", res); s.once("connect_error", rej); });

async function churn() {
  let i = 0;
  while (running()) {
    const s = ioClient(i++ % 2 ? ["websocket"] : ["polling"]);
    try {
      await connected(s);
      await s.timeout(10_000).emitWithAck("join", `churn-${i % 10}`);
      await s.timeout(10_000).emitWithAck("echo", { i, pad: "x".repeat(200) });
      s.emit("to-room", `churn-${i % 10}`, "hello", i);
      await s.timeout(10_000).emitWithAck("leave", `churn-${i % 10}`);
      stats.churned++;
    } catch { stats.errors++; }
    s.close();
    await sleep(50);
  }
}

async function steady() {
  const clients = [];
  for (let i = 0; i < 20; i++) {
    const s = ioClient(i % 2 ? ["websocket"] : ["polling", "websocket"]);
    s.on("news", () => { stats.broadcasts++; });
    s.on("question", (n, ack) => ack(n + 1));
    await connected(s);
    await s.timeout(10_000).emitWithAck("join", "steady");
    clients.push(s);
  }
  let n = 0;
  while (running()) {
    const s = clients[n++ % clients.length];
    s.emit("to-room", "steady", "news", n, "y".repeat(500));
    if (n % 10 === 0) {
      try {
        await s.timeout(10_000).emitWithAck("echo", n);
        await s.timeout(10_000).emitWithAck("server-ack", "question", 5000, n);
        stats.acks += 2;
      } catch { stats.errors++; }
    }
    await sleep(20);
  }
  for (const s of clients) s.close();
}

async function rawWs() {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  const frames = [];
  ws.on("message", (d) => frames.push(d.toString()));
  await new Promise((r, j) => { ws.once("open", r); ws.once("error", j); });
  while (!frames.some((f) => f.startsWith("0{"))) await sleep(10);
  ws.send("40");
  while (!frames.some((f) => f.startsWith("40"))) await sleep(10);
  return ws;
}

async function trouble() {
  while (running()) {
    try {
      // A stalled reader asking for 8 MB: the server drops it after its write timeout.
      const stalled = await rawWs();
      stalled._socket.pause();
      stalled.send('42["burst",8000,1000]');
      stats.stalled++;
      setTimeout(() => stalled.terminate(), 15_000);
      // A flood of 500 events, then gone.
      const flood = await rawWs();
      for (let i = 0; i < 500; i++) flood.send(`42["echo-event",${i},"${"z".repeat(100)}"]`);
      stats.floods++;
      setTimeout(() => flood.terminate(), 2_000);
    } catch { stats.errors++; }
    await sleep(Math.min(10_000, SECONDS * 200));
  }
}

const samples = [];
const sample = (phase) => {
  const s = { t: Math.round((Date.now() - (end - SECONDS * 1000)) / 1000), phase, rss_mib: +rss().toFixed(1), fds: fds() };
  samples.push(s);
  console.log(`${s.t},${s.phase},${s.rss_mib},${s.fds}`);
  return s;
};
console.log("t_s,phase,rss_mib,fds");
const start = sample("start");
const sampler = setInterval(() => sample("run"), SAMPLE * 1000);
await Promise.all([churn(), steady(), trouble()]);
clearInterval(sampler);
// Let the last stalled reader and flood be dropped and the sockets close.
await sleep(Math.max(8_000, SAMPLE * 1000));
const last = sample("end");
const run = samples.filter((s) => s.phase === "run");
const warm = run[Math.min(run.length - 1, Math.max(0, Math.floor(run.length / 10)))] ?? start;
const peak = Math.max(...samples.map((s) => s.rss_mib));
const summary = {
  seconds: SECONDS, ...stats,
  rss_start_mib: start.rss_mib, rss_warm_mib: warm.rss_mib, rss_peak_mib: peak, rss_end_mib: last.rss_mib,
  fds_start: start.fds, fds_peak: Math.max(...samples.map((s) => s.fds)), fds_end: last.fds,
};
console.log("summary " + JSON.stringify(summary));
const fdsOk = Math.abs(last.fds - start.fds) <= 2;
const rssOk = last.rss_mib <= Math.max(warm.rss_mib, start.rss_mib) * 1.25 + 8;
const trafficOk = stats.churned > 0 && stats.acks > 0 && stats.broadcasts > 0 && stats.errors <= Math.max(2, stats.churned / 100);
if (!fdsOk || !rssOk || !trafficOk) {
  console.error(`soak FAILED: fds ${start.fds} → ${last.fds}, RSS warm ${warm.rss_mib} → end ${last.rss_mib} MiB, stats ${JSON.stringify(stats)}`);
  process.exit(1);
}
console.log("soak ok");
process.exit(0);
