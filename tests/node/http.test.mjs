// HTTP-level behaviour: CORS (on and off), the Socket.IO connect timeout, the connection count.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startServer, connect, call, once, eventually, closeAll } from "./helpers.mjs";

const ORIGIN = "http://example.test";
let cors, plain;
before(async () => {
  [cors, plain] = await Promise.all([
    startServer("e2e", { CORS_ORIGIN: ORIGIN, CONNECT_TIMEOUT: "1000" }),
    startServer("e2e"),
  ]);
});
after(() => {
  cors?.close();
  plain?.close();
});

test("CORS: a preflight from an allowed origin gets 204 and the headers", async () => {
  const res = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling`, {
    method: "OPTIONS",
    headers: { Origin: ORIGIN, "Access-Control-Request-Method": "POST" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
});

test("CORS: handshakes and errors carry the header for an allowed origin only", async () => {
  const ok = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: ORIGIN } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
  const err = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling&sid=unknown`, { headers: { Origin: ORIGIN } });
  assert.equal(err.status, 400);
  assert.equal(err.headers.get("access-control-allow-origin"), ORIGIN);
  const other = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: "http://evil.test" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});

test("CORS is off by default: no headers", async () => {
  const res = await fetch(`${plain.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: ORIGIN } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), null);
});

test("a connection that joins no namespace is closed after the connect timeout", async () => {
  const { socket } = await connect(cors.url);
  const ws = new WebSocket(`ws://127.0.0.1:${cors.port}/socket.io/?EIO=4&transport=websocket`);
  try {
    const closed = once(ws, "close");
    await once(ws, "open");
    await closed; // never sent `40`
    assert.equal(await call(socket, "echo", "joined in time"), "joined in time", "a connected socket stays");
  } finally {
    ws.terminate();
    closeAll(socket);
  }
});

test("the server counts open connections", async () => {
  const a = await connect(plain.url);
  try {
    const before = await call(a.socket, "count");
    const b = await connect(plain.url, "/", { transports: ["websocket"] });
    assert.equal(await call(a.socket, "count"), before + 1);
    b.socket.close();
    await eventually(async () => (await call(a.socket, "count")) === before, "count back down");
  } finally {
    closeAll(a.socket);
  }
});
