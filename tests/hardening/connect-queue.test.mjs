// A new client while the host's event queue is full: its CONNECT is read past the
// server-wide bound (a connection with no socket yet can send nothing else that reaches
// the host, and its own budget still applies), so the connect timeout cannot close it for
// the host's backlog; its events then wait their turn like everyone's.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startServer, once, DEADLINE, rawClient } from "./helpers.mjs";

let server;
before(async () => {
  // Two events fill the server's queue; a connection must send CONNECT within 500 ms.
  server = await startServer("e2e", { MAX_PENDING_EVENTS_TOTAL: "2", CONNECT_TIMEOUT: "500" });
});
after(() => server?.close());

test("a client connecting while the event queue is full is not closed by the connect timeout", async () => {
  const flooder = await rawClient(server.port);
  // Three events that keep the host busy 1 s each: the queue is full for over 2 s, and
  // no slot frees before the connect timeout.
  for (let i = 0; i < 3; i++) flooder.ws.send('42["slow",1000]');
  await new Promise((r) => setTimeout(r, 100));
  const socket = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  try {
    const gone = [];
    socket.on("disconnect", (reason) => gone.push(reason));
    await Promise.race([
      once(socket, "connect"),
      once(socket, "connect_error").then(([e]) => { throw new Error(`connect_error: ${e.message}`); }),
    ]);
    // Past the connect timeout, still connected; its ack comes once the backlog is done.
    await new Promise((r) => setTimeout(r, 800));
    assert.deepEqual(gone, []);
    assert.equal(await socket.timeout(2 * DEADLINE).emitWithAck("echo", "after the backlog"), "after the backlog");
    assert.deepEqual(gone, []);
  } finally {
    socket.close();
    flooder.ws.close();
  }
});
