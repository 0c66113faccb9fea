// The heartbeat under inbound backpressure. When the host is slow and a client has its
// budget of events waiting (MAX_PENDING_EVENTS), the server stops reading that client: its
// pongs then wait unread in TCP (or in its next polling POST). The server must not drop the
// client for a pong it did not read itself; it keeps pinging so the client, which drops a
// server that sends no ping for pingInterval + pingTimeout, stays too. A client that really
// stops answering is still dropped with "ping timeout" once the host has caught up.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, call, eventually, disconnectOf, closeAll, DEADLINE, rawClient } from "./helpers.mjs";

const PING_INTERVAL = 400;
const PING_TIMEOUT = 300;
const ROUND = PING_INTERVAL + PING_TIMEOUT;
// 10 events that each keep the host busy for 400 ms: 4 s of backlog, about 6 ping rounds,
// with the server holding back reading the sender after 4 of them.
const EVENTS = 10;
const SLOW_MS = 400;

let server, observer;
before(async () => {
  server = await startServer("e2e", {
    MAX_PENDING_EVENTS: "4",
    PING_INTERVAL: String(PING_INTERVAL),
    PING_TIMEOUT: String(PING_TIMEOUT),
  });
  observer = (await connect(server.url)).socket;
});
after(() => {
  closeAll(observer);
  server?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const slowCount = () => call(observer, "slow-count");

for (const transport of ["websocket", "polling"]) {
  test(`a ${transport} client the server stopped reading is not timed out for the pongs it could not read`, async () => {
    const { socket } = await connect(server.url, "/", { transports: [transport] });
    const sid = socket.id;
    const disconnects = [];
    socket.on("disconnect", (reason) => disconnects.push(reason));
    const start = await slowCount();
    for (let i = 0; i < EVENTS; i++) socket.emit("slow", SLOW_MS);
    await eventually(async () => (await slowCount()) - start >= EVENTS, "every slow event handled", 4 * DEADLINE);
    // A few ping rounds after the backlog: pings and pongs flow again.
    await sleep(3 * ROUND);
    assert.deepEqual(disconnects, [], `the client saw a disconnect (${disconnects})`);
    assert.ok(socket.connected);
    assert.equal(socket.id, sid, "the same socket");
    assert.equal(await call(socket, "echo", "still here"), "still here");
    const log = await call(observer, "last-disconnects");
    assert.equal(log.find((d) => d.sid === sid), undefined, `the server dropped it: ${JSON.stringify(log.find((d) => d.sid === sid))}`);
    socket.close();
  });
}

test("a client held back that never answers pings is dropped with 'ping timeout' once the host caught up", async () => {
  const { ws, frames, sid } = await rawClient(server.port); // it never answers pings ("2")
  const start = await slowCount();
  for (let i = 0; i < EVENTS; i++) ws.send(`42["slow",${SLOW_MS}]`);
  const gone = await disconnectOf(observer, sid);
  assert.equal(gone.reason, "ping timeout");
  // Not during the backlog: the server read and handled every event it sent first (a drop
  // while it was held back would have left the rest unread).
  assert.equal((await slowCount()) - start, EVENTS);
  assert.ok(frames.filter((f) => f === "2").length >= 2, "the server kept pinging it");
  ws.terminate();
});
