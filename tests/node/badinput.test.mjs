// Bad input from one client closes or refuses only that client, with the protocol's error,
// while another client on the same server keeps working (checked in the same test).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startServer, connect, call, once, eventually, disconnectOf, closeAll, DEADLINE } from "./helpers.mjs";

const MAX_PAYLOAD = 10_000;
let server, good;
before(async () => {
  server = await startServer("e2e", { MAX_PAYLOAD: String(MAX_PAYLOAD) });
  good = (await connect(server.url)).socket;
});
after(() => {
  closeAll(good);
  server?.close();
});

const eio = (query) => `${server.url}/socket.io/?EIO=4&${query}`;
const stillWorks = async () => assert.equal(await call(good, "echo", "still fine"), "still fine");

/** A raw Engine.IO WebSocket: `next(pred)` waits for a frame; `closed` resolves on close. */
async function rawSocket() {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  ws.on("message", (d) => frames.push(d.toString()));
  const closed = once(ws, "close");
  await once(ws, "open");
  const next = (pred) => eventually(() => frames.find(pred), "frame");
  await next((f) => f.startsWith("0{"));
  return { ws, frames, next, closed };
}

/** Opens a long-polling session by hand; returns its Engine.IO sid. */
async function pollingHandshake() {
  const res = await fetch(eio("transport=polling"));
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.equal(body[0], "0");
  return JSON.parse(body.slice(1)).sid;
}

for (const frame of ["4abc", "42{}", '42abc["x"]', '42["connect"]', "2"]) {
  test(`malformed frame ${JSON.stringify(frame)} closes only that connection`, async () => {
    const raw = await rawSocket();
    try {
      raw.ws.send("40");
      const sid = JSON.parse((await raw.next((f) => f.startsWith("40{"))).slice(2)).sid;
      raw.ws.send(frame);
      await raw.closed;
      await stillWorks();
      if (frame.startsWith("4")) {
        // A Socket.IO decode error ends the socket with socket.io's reason (its
        // `Client#onerror` closes the connection: "forced close").
        assert.equal((await disconnectOf(good, sid)).reason, "forced close");
      }
    } finally {
      raw.ws.terminate();
    }
  });
}

test("a malformed frame before CONNECT closes the connection", async () => {
  const raw = await rawSocket();
  try {
    raw.ws.send("4abc");
    await raw.closed;
    await stillWorks();
  } finally {
    raw.ws.terminate();
  }
});

test("a polling body that cannot be decoded closes that session", async () => {
  const sid = await pollingHandshake();
  await fetch(eio(`transport=polling&sid=${sid}`), { method: "POST", body: "abc" });
  const res = await fetch(eio(`transport=polling&sid=${sid}`));
  assert.equal(res.status, 400);
  await stillWorks();
});

test("a POST bigger than maxPayload gets 413", async () => {
  const sid = await pollingHandshake();
  const res = await fetch(eio(`transport=polling&sid=${sid}`), { method: "POST", body: "4" + "x".repeat(MAX_PAYLOAD + 1) });
  assert.equal(res.status, 413);
  await stillWorks();
});

test("a WebSocket message bigger than maxPayload closes that connection", async () => {
  const raw = await rawSocket();
  try {
    raw.ws.send("40");
    await raw.next((f) => f.startsWith("40{"));
    raw.ws.send('42["echo","' + "x".repeat(MAX_PAYLOAD + 1) + '"]');
    await raw.closed;
    await stillWorks();
  } finally {
    raw.ws.terminate();
  }
});

/** Asserts a 400 with the reference's JSON error body. */
async function assertError(res, code, message) {
  assert.equal(res.status, 400);
  assert.match(res.headers.get("content-type"), /application\/json/);
  assert.deepEqual(await res.json(), { code, message });
}

test("an unknown sid gets 400 `Session ID unknown`", async () => {
  await assertError(await fetch(eio("transport=polling&sid=AAAAAAAAAAAAAAAAAAAA")), 1, "Session ID unknown");
  await assertError(await fetch(eio("transport=polling&sid=nope"), { method: "POST", body: "40" }), 1, "Session ID unknown");
  await stillWorks();
});

test("EIO=3 gets 400 `Unsupported protocol version`", async () => {
  const res = await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`);
  await assertError(res, 5, "Unsupported protocol version");
  await stillWorks();
});

test("an unknown transport gets 400 `Transport unknown`", async () => {
  await assertError(await fetch(eio("transport=carrier-pigeon")), 0, "Transport unknown");
  await assertError(await fetch(`${server.url}/socket.io/?EIO=4`), 0, "Transport unknown");
  await stillWorks();
});

test("a flood of 2000 events from one client does not stop another", async () => {
  const { socket: flooder, log } = await connect(server.url, "/", { transports: ["websocket"] });
  try {
    const N = 2000;
    for (let i = 0; i < N; i++) flooder.emit("echo-event", i, "x".repeat(100));
    await stillWorks();
    // The flooder is served too: every echo comes back, in order.
    for (let i = 0; i < N; i++) assert.equal((await log.next("echo", DEADLINE))[0], i);
    await stillWorks();
  } finally {
    closeAll(flooder);
  }
});
