// Backpressure from a slow host to the network: a client whose events wait in the host's
// stream is not read further (its data stays in TCP buffers), so one flooding client can
// neither grow the server's memory nor push another client's events far back; a client
// that packs far more than its budget into one polling POST is dropped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startServer, connect, call, eventually, disconnectOf, closeAll, rssMiB, DEADLINE, rawClient } from "./helpers.mjs";

const MAX_PENDING = 8;
let server, observer;
before(async () => {
  server = await startServer("e2e", { MAX_PENDING_EVENTS: String(MAX_PENDING) });
  observer = (await connect(server.url)).socket;
});
after(() => {
  closeAll(observer);
  server?.close();
});

test("a flooding client does not push another client's acks behind its whole flood", async () => {
  const start = await call(observer, "slow-count");
  const flooder = await rawClient(server.port);
  // 300 events that each keep the host busy for 10 ms (3 s in all), sent at once.
  for (let i = 0; i < 300; i++) flooder.ws.send('42["slow",10]');
  await new Promise((r) => setTimeout(r, 200)); // let them reach the server
  const { socket: other } = await connect(server.url);
  // The host handles events in order: what it had done of the flood when it answered
  // `other` is what was queued ahead of it.
  const ahead = (await other.timeout(4 * DEADLINE).emitWithAck("slow-count")) - start;
  assert.ok(ahead < 300 / 2, `${ahead} flood events were handled before the other client's ack`);
  // Backpressure delays the flooder but does not drop it: all its events are handled.
  await eventually(async () => (await call(observer, "slow-count")) - start >= 300, "the whole flood handled", 4 * DEADLINE);
  assert.equal(flooder.ws.readyState, WebSocket.OPEN);
  flooder.ws.close();
  other.close();
});

test("a client flooding a slow host with big events costs a bounded amount of memory", async () => {
  const pid = server.proc.pid;
  const base = rssMiB(pid);
  let peak = base;
  const sample = setInterval(() => { try { peak = Math.max(peak, rssMiB(pid)); } catch {} }, 20);
  const flooder = await rawClient(server.port);
  const big = JSON.stringify("x".repeat(830_000));
  // 300 × 830 KB = 250 MB; the host takes 20 ms per event.
  for (let i = 0; i < 300; i++) flooder.ws.send(`42["slow",20,${big}]`);
  await new Promise((r) => setTimeout(r, 1500));
  clearInterval(sample);
  assert.ok(peak - base < 100, `server RSS grew by ${(peak - base).toFixed(0)} MiB while the flood waited`);
  // TCP backpressure: most of the flood is still on the client's side, unread.
  assert.ok(flooder.ws.bufferedAmount > 50e6, `only ${flooder.ws.bufferedAmount} bytes left unsent by the flooder`);
  assert.equal(flooder.ws.readyState, WebSocket.OPEN, "the flooder is slowed, not dropped");
  flooder.ws.terminate();
});

test("a polling POST packed far past the budget drops its client with 'inbound overflow'", async () => {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
  const eioSid = JSON.parse((await res.text()).slice(1)).sid;
  const url = `${server.url}/socket.io/?EIO=4&transport=polling&sid=${eioSid}`;
  await fetch(url, { method: "POST", body: "40" });
  // The long-poll answer may carry more packets after the CONNECT reply (e.g. a welcome).
  const packets = (await (await fetch(url)).text()).split("\x1e");
  const connected = packets.find((p) => p.startsWith("40{"));
  const sid = JSON.parse(connected.slice(2)).sid;
  // One body with 1000 events while the host is slow: far past 4 × MAX_PENDING.
  const body = Array.from({ length: 1000 }, () => '42["slow",1]').join("\x1e");
  await fetch(url, { method: "POST", body }).catch(() => {});
  const gone = await disconnectOf(observer, sid);
  assert.equal(gone.reason, "inbound overflow");
  assert.equal(await call(observer, "echo", "still fine"), "still fine");
});
