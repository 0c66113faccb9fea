'use strict';
// Long-polling echo load (scripts/bench-attach.sh): CLIENTS socket.io-client connections
// with transports ['polling'] each keep one acked `echo` (PAYLOAD bytes) in flight for
// DURATION seconds against http://127.0.0.1:PORT. Prints one JSON line: acks/s and the
// latency p50/p99 in ms, and with SERVER_PID the server's CPU per ack (from /proc). The
// client comes from tests/node's packages.
const path = require('path');
const { createRequire } = require('module');

const { io } = createRequire(path.join(__dirname, '..', '..', 'tests', 'node', 'package.json'))('socket.io-client');
const PORT = Number(process.env.PORT || 3000);
const CLIENTS = Number(process.env.CLIENTS || 50);
const DURATION = Number(process.env.DURATION || 5) * 1000;
const data = 'x'.repeat(Number(process.env.PAYLOAD || 100));

/** CPU seconds of process `pid` so far (Linux /proc), or NaN. */
function cpu(pid) {
  try {
    const f = require('fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

async function main() {
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => new Promise((resolve, reject) => {
    const s = io(`http://127.0.0.1:${PORT}`, { transports: ['polling'], forceNew: true, reconnection: false });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  })));
  const lat = [];
  let acks = 0;
  const pid = process.env.SERVER_PID;
  const cpu0 = cpu(pid);
  const end = Date.now() + DURATION;
  await Promise.all(sockets.map(async (s) => {
    while (Date.now() < end) {
      const t = process.hrtime.bigint();
      const back = await s.emitWithAck('echo', data);
      if (back !== data) throw new Error('mismatched ack');
      lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      acks += 1;
    }
  }));
  const serverCpu = cpu(pid) - cpu0;
  for (const s of sockets) s.close();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  console.log(JSON.stringify({ label: process.env.LABEL || '', acks_per_s: acks / (DURATION / 1000), p50_ms: q(0.5), p99_ms: q(0.99), server_cpu_s: serverCpu, server_cpu_us_per_ack: (serverCpu * 1e6) / acks }));
}

main().then(() => {
  // Closed polling clients may leave keep-alive requests behind (python-socketio under
  // uvicorn does): the numbers are out, so end here instead of waiting for them.
  process.exit(0);
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
