// Limits: connections and handshakes per second (per IP here, all clients being local),
// namespace and room name length, rooms per socket, and dynamic namespaces removed once
// empty (cleanupEmptyChildNamespaces).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, call, eventually, closeAll, rawTcp, closedWithin, DEADLINE } from "./helpers.mjs";

let server, observer;
before(async () => {
  server = await startServer("e2e", {
    MAX_CONNECTIONS_PER_IP: "20",
    HANDSHAKES_PER_SEC_PER_IP: "1000",
    MAX_NAME_LENGTH: "64",
    MAX_ROOMS_PER_SOCKET: "5",
    CLEANUP_EMPTY_CHILD_NAMESPACES: "1",
  });
  observer = (await connect(server.url)).socket;
});
after(() => {
  closeAll(observer);
  server?.close();
});

test("connections past the per-IP limit are closed at accept; others still get in", async () => {
  const held = [];
  try {
    // The observer holds one connection (or two while it upgrades); fill up to the limit.
    let refused = 0;
    for (let i = 0; i < 25; i++) {
      const c = await rawTcp(server.port);
      held.push(c);
      if ((await closedWithin(c.closed, 300)) === "closed") refused++;
    }
    assert.ok(refused >= 5, `${refused} of 25 extra connections refused`);
  } finally {
    for (const c of held) c.sock.destroy();
  }
  // Once they are gone, new clients connect again.
  const { socket } = await connect(server.url);
  assert.equal(await call(socket, "echo", 1), 1);
  socket.close();
});

test("a namespace name longer than the limit gets `Invalid namespace`", async () => {
  const { io } = await import("socket.io-client");
  const s = io(`${server.url}/dyn-${"x".repeat(100)}`, { forceNew: true, reconnection: false });
  const err = await new Promise((resolve) => s.once("connect_error", resolve));
  assert.equal(err.message, "Invalid namespace");
  s.close();
});

test("room names longer than the limit and rooms past the per-socket limit are refused", async () => {
  const { socket } = await connect(server.url);
  const rooms = await call(socket, "join", "r".repeat(65));
  assert.ok(!rooms.includes("r".repeat(65)));
  const many = await call(socket, "join", ["a", "b", "c", "d", "e", "f", "g"]);
  assert.ok(many.length <= 5, `socket is in ${many.length} rooms: ${JSON.stringify(many)}`);
  socket.close();
});

test("an empty dynamic namespace is removed (cleanupEmptyChildNamespaces)", async () => {
  const names = [];
  for (let i = 0; i < 8; i++) names.push(`/dyn-${i}`);
  const sockets = [];
  // WebSocket only: one TCP connection each, well under this server's per-IP limit.
  for (const n of names) sockets.push((await connect(server.url, n, { transports: ["websocket"] })).socket);
  const during = await call(observer, "namespaces");
  for (const n of names) assert.ok(during.includes(n), `${n} exists while used`);
  closeAll(...sockets);
  await eventually(async () => {
    const now = await call(observer, "namespaces");
    return names.every((n) => !now.includes(n));
  }, "the dynamic namespaces removed");
  // A name can be used again afterwards.
  const { socket } = await connect(server.url, "/dyn-0");
  assert.equal(await call(socket, "echo", "again"), "again");
  socket.close();
});

test("handshakes past the per-IP rate get 429 and the next second is served again", async () => {
  const limited = await startServer("e2e", { HANDSHAKES_PER_SEC_PER_IP: "5" });
  try {
    const statuses = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${limited.url}/socket.io/?EIO=4&transport=polling`);
      statuses.push(res.status);
      if (res.status === 429) assert.deepEqual(await res.json(), { code: 4, message: "Too many handshakes" });
      else await res.text();
    }
    assert.ok(statuses.filter((s) => s === 429).length >= 10, `statuses: ${statuses}`);
    await eventually(async () => {
      const res = await fetch(`${limited.url}/socket.io/?EIO=4&transport=polling`);
      await res.text();
      return res.status === 200;
    }, "a handshake served again");
  } finally {
    limited.close();
  }
});
