// The outbound queue is bounded in bytes, not frames: a client that never reads is dropped
// ("slow consumer") before it costs the server more than the bound, while a healthy client
// that falls behind briefly during a 20k-message burst gets every message.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startServer, connect, call, eventually, disconnectOf, closeAll, rssMiB, DEADLINE, rawClient } from "./helpers.mjs";

let server, observer;
before(async () => {
  // Default byte bound (16 MiB); the write-progress deadline is long, so only bytes act.
  server = await startServer("e2e", { WRITE_TIMEOUT: "60000" });
  observer = (await connect(server.url)).socket;
});
after(() => {
  closeAll(observer);
  server?.close();
});

test("a client that sends big echoes and never reads costs a bounded amount of memory", async () => {
  const pid = server.proc.pid;
  const base = rssMiB(pid);
  const { ws, sid } = await rawClient(server.port);
  ws._socket.pause();
  let peak = base;
  const sample = setInterval(() => { try { peak = Math.max(peak, rssMiB(pid)); } catch {} }, 20);
  const big = JSON.stringify("x".repeat(900_000));
  // 300 echoes of 900 KB with acks: 270 MB of answers if the server kept them all.
  for (let i = 0; i < 300 && ws.readyState === WebSocket.OPEN; i++) {
    ws.send(`42${i}["echo",${big}]`);
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
  }
  const gone = await disconnectOf(observer, sid);
  clearInterval(sample);
  ws.terminate();
  assert.equal(gone.reason, "slow consumer");
  assert.ok(peak - base < 120, `server RSS grew by ${(peak - base).toFixed(0)} MiB (bound 16 MiB + I/O buffers)`);
  assert.equal(await call(observer, "echo", "still fine"), "still fine");
});

test("a healthy client that falls behind during a 20k-message burst gets all of it", async () => {
  const { socket, log } = await connect(server.url);
  let got = 0;
  let stalled = false;
  socket.on("b", () => {
    got++;
    if (!stalled) {
      // Busy for a moment, as a client doing real work would be.
      stalled = true;
      const until = Date.now() + 300;
      while (Date.now() < until);
    }
  });
  socket.emit("burst", 20_000, 200);
  await log.next("burst-done", 4 * DEADLINE);
  assert.equal(got, 20_000);
  assert.ok(socket.connected);
  socket.close();
});
