// Load driver of scripts/bench-deflate.sh: what permessage-deflate costs a server.
//   node bench/deflate.mjs --url http://127.0.0.1:PORT --pid SERVER_PID --label NAME
//        [--clients 400] [--messages 300] [--window 8] [--payload 2048]
// Opens --clients WebSockets with `ws` (the library under socket.io-client, which offers
// permessage-deflate unless told not to) speaking just enough Engine.IO/Socket.IO to join
// one room, then one of them broadcasts --messages chat-like JSON messages of about
// --payload bytes to the room (the bench app's `broadcast`: everyone but the sender),
// at most --window outstanding. Prints one JSON line:
//   rss_*_kb            the server's VmRSS before any client, with all connected and idle,
//                       and after the broadcasts (zlib state that lives per connection
//                       shows there);
//   rss_per_conn_*_kb   (that − before) ÷ clients;
//   server_cpu_us_per_delivery  the server's user+system CPU over the broadcast phase ÷
//                       deliveries (from /proc/PID/stat);
//   wire_bytes_per_delivery     bytes the clients read from their sockets ÷ deliveries;
//   extensions          what the server agreed to.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const WebSocket = createRequire(path.join(here, "node", "package.json"))("ws");

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const url = arg("url");
const pid = Number(arg("pid"));
const label = arg("label", "run");
const clients = Number(arg("clients", 400));
const messages = Number(arg("messages", 300));
const windowSize = Number(arg("window", 8));
const payloadBytes = Number(arg("payload", 2048));
const DEADLINE = 120_000;

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const ticks = () => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (100 per second)
};
const TICK_S = 0.01;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A chat-like message of about `n` bytes: words from a small vocabulary, as JSON; each
 * `seed` gives a different one (so a compressor that keeps context between messages
 * cannot just point back at the previous, identical message).
 */
function payload(n, seed) {
  const words = ["room", "message", "hello", "roomcast", "socket", "delivery", "the", "a", "compressed", "frame",
    "user", "joined", "left", "typing", "broadcast", "server", "client", "news", "update", "score"];
  seed = seed * 7919 + 7;
  const items = [];
  let size = 0;
  while (size < n) {
    const text = Array.from({ length: 12 }, () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return words[seed % words.length]; }).join(" ");
    const item = { user: `user${seed % 1000}`, text, ts: 1_700_000_000_000 + seed };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return items;
}

/** One client: resolves once it joined the room; counts `msg` events. */
function open(i, onMsg) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
    const timer = setTimeout(() => reject(new Error(`client ${i}: no join in time`)), DEADLINE);
    ws.on("error", reject);
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const s = data.toString();
      if (s === "2") ws.send("3");
      else if (s.startsWith("0")) ws.send("40");
      else if (s.startsWith("40")) ws.send('421["join","bench"]');
      else if (s.startsWith("431")) { clearTimeout(timer); resolve(ws); }
      else if (s.startsWith('42["msg"')) onMsg();
    });
  });
}

async function main() {
  const rssBefore = rssKb();
  let received = 0;
  const all = [];
  for (let i = 0; i < clients; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(clients, i + 50); j++) batch.push(open(j, () => { received++; }));
    all.push(...(await Promise.all(batch)));
  }
  await sleep(1000);
  const rssConnected = rssKb();
  const sender = all[0];
  const perMessage = clients - 1;
  const frames = Array.from({ length: messages }, (_, i) => "42" + JSON.stringify(["broadcast", "bench", payload(payloadBytes, i)]));
  const bytesRead = () => all.reduce((n, ws) => n + ws._socket.bytesRead, 0);
  const read0 = bytesRead();
  const t0 = ticks();
  const start = Date.now();
  let sent = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received} of ${messages * perMessage} deliveries in time`)), DEADLINE);
    const pump = () => {
      while (sent < messages && sent * perMessage - received < windowSize * perMessage) {
        sender.send(frames[sent]);
        sent++;
      }
      if (received >= messages * perMessage) { clearTimeout(timer); resolve(); } else setTimeout(pump, 1);
    };
    pump();
  });
  const cpuS = (ticks() - t0) * TICK_S;
  const elapsed = (Date.now() - start) / 1000;
  const deliveries = messages * perMessage;
  const wire = bytesRead() - read0;
  await sleep(500);
  const rssAfter = rssKb();
  const out = {
    label,
    clients,
    messages,
    payload_bytes: frames[0].length - '42["broadcast","bench",]'.length,
    extensions: sender.extensions ? (sender._extensions["permessage-deflate"] ? "permessage-deflate" : sender.extensions) : "",
    rss_before_kb: rssBefore,
    rss_connected_kb: rssConnected,
    rss_after_kb: rssAfter,
    rss_per_conn_idle_kb: (rssConnected - rssBefore) / clients,
    rss_per_conn_after_kb: (rssAfter - rssBefore) / clients,
    deliveries,
    elapsed_s: elapsed,
    deliveries_per_s: deliveries / elapsed,
    server_cpu_s: cpuS,
    server_cpu_us_per_delivery: (cpuS * 1e6) / deliveries,
    wire_bytes_per_delivery: wire / deliveries,
  };
  for (const ws of all) ws.terminate();
  console.log(JSON.stringify(out));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
