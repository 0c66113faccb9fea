// Each config setter of the C ABI is applied (tests/c/config_test.c with options), seen from
// real clients and plain HTTP requests, each against a server with default settings.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startC, connect, connectError, call, msgpackParser } from "./harness.mjs";

const ORIGIN = "http://app.example";
let plain; // defaults
let wsOnly; // no polling, 2 attachments, 1 worker thread
let pollingOnly; // no WebSocket, 4 buffered frames, 3 worker threads, CORS with credentials
let limited; // one connection at a time
let gated; // allow_request: the host decides each handshake
let attached; // listen off: the program accepts and hands each connection in (adopt_fd)
let packed; // parser msgpack
let patterned; // CORS: an exact origin and a pattern; methods, allowed and exposed headers, max age
let hooked; // CORS: the host decides each request's origin
const open = [];

async function client(server, opts = {}) {
  const c = await connect(server.url, "/", opts);
  open.push(c.socket);
  return c;
}

/** Waits for the "gone" [sid, reason] about `sid` that the server tells everyone. */
async function goneReason(observer, sid) {
  for (;;) {
    const [s, reason] = await observer.log.next("gone");
    if (s === sid) return reason;
  }
}

const engineUrl = (server, query) => `${server.url}/socket.io/?EIO=4&${query}`;

before(async () => {
  [plain, wsOnly, pollingOnly, limited, gated, attached, packed, patterned, hooked] = await Promise.all([
    startC("config_test"),
    startC("config_test", ["--no-polling", "--max-attachments", "2", "--worker-threads", "1"]),
    startC("config_test", [
      "--no-websocket", "--max-buffered-frames", "4", "--worker-threads", "3",
      "--cors", ORIGIN, "--cors-credentials",
    ]),
    startC("config_test", ["--max-connections", "1"]),
    startC("config_test", ["--allow-request"]),
    startC("config_test", ["--attached"]),
    startC("config_test", ["--parser", "msgpack"]),
    startC("config_test", [
      "--cors", ORIGIN, "--cors-pattern", "^https?://[a-z]+\\.b\\.example$",
      "--cors-methods", "GET,POST", "--cors-allowed-headers", "content-type,x-token",
      "--cors-exposed-headers", "x-request-id", "--cors-max-age", "600",
    ]),
    startC("config_test", ["--cors-hook", "--cors-credentials"]),
  ]);
});
after(() => {
  for (const s of open) s.close();
  for (const s of [plain, wsOnly, pollingOnly, limited, gated, attached, packed, patterned, hooked]) s?.kill();
});

test("allow_polling off: a polling handshake is 400 code 0 'Transport unknown'; WebSocket clients connect", async () => {
  const refused = await fetch(engineUrl(wsOnly, "transport=polling"));
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), { code: 0, message: "Transport unknown" });
  const accepted = await fetch(engineUrl(plain, "transport=polling"));
  assert.equal(accepted.status, 200);
  assert.match(await accepted.text(), /^0\{.*"upgrades":\["websocket"\]/);

  await connectError(wsOnly.url, "/", { transports: ["polling"] });
  const { socket } = await client(wsOnly, { transports: ["websocket"] });
  assert.deepEqual(await call(socket, "echo", "hi"), ["hi"]);
});

test("allow_websocket off: no upgrade is offered and a WebSocket request is 'Transport unknown'", async () => {
  const handshake = await fetch(engineUrl(pollingOnly, "transport=polling"));
  assert.equal(handshake.status, 200);
  assert.match(await handshake.text(), /^0\{.*"upgrades":\[\]/);
  const refused = await fetch(engineUrl(pollingOnly, "transport=websocket"));
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), { code: 0, message: "Transport unknown" });
  // With WebSocket allowed, the same request without an Upgrade header is a bad request.
  const bad = await fetch(engineUrl(plain, "transport=websocket"));
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { code: 3, message: "Bad request" });

  await connectError(pollingOnly.url, "/", { transports: ["websocket"] });
  const { socket } = await client(pollingOnly);
  assert.deepEqual(await call(socket, "echo", 1), [1]);
  assert.equal(socket.io.engine.transport.name, "polling");
});

test("max_attachments: more binaries than allowed close the connection ('forced close', as socket.io)", async () => {
  const observer = await client(wsOnly, { transports: ["websocket"] });
  const sender = await client(wsOnly, { transports: ["websocket"] });
  const [a, b] = await call(sender.socket, "echo", Buffer.from([1]), Buffer.from([2]));
  assert.deepEqual([Buffer.from(a), Buffer.from(b)], [Buffer.from([1]), Buffer.from([2])]);
  const gone = goneReason(observer, sender.socket.id);
  sender.socket.emit("echo", Buffer.from([1]), Buffer.from([2]), Buffer.from([3]));
  assert.equal(await gone, "forced close");
  await sender.disconnected;
  // The default (10) takes three.
  const other = await client(plain);
  const three = await call(other.socket, "echo", Buffer.from([1]), Buffer.from([2]), Buffer.from([3]));
  assert.equal(three.length, 3);
});

test("max_buffered_frames: a burst larger than the queue disconnects a polling client as 'slow consumer'", async () => {
  const FLOOD = 1000;
  const observer = await client(pollingOnly);
  const slow = await client(pollingOnly);
  const gone = goneReason(observer, slow.socket.id);
  slow.socket.emit("flood", FLOOD);
  assert.equal(await gone, "slow consumer");
  await slow.disconnected;
  // The default queue (4096 frames) takes the whole burst.
  const fine = await client(plain, { transports: ["polling"] });
  fine.socket.emit("flood", FLOOD);
  await fine.log.next("flood-done");
  const got = fine.log.names().filter((n) => n === "flood").length;
  assert.equal(got, FLOOD);
});

test("worker_threads: the runtime has exactly that many worker threads", async () => {
  const one = await client(wsOnly, { transports: ["websocket"] });
  assert.deepEqual(await call(one.socket, "threads"), [1]);
  const three = await client(pollingOnly);
  assert.deepEqual(await call(three.socket, "threads"), [3]);
});

test("CORS origin with credentials: the allowed origin is echoed with credentials; others get nothing", async () => {
  const allowed = await fetch(engineUrl(pollingOnly, "transport=polling"), { headers: { Origin: ORIGIN } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
  const preflight = await fetch(engineUrl(pollingOnly, "transport=polling"), {
    method: "OPTIONS",
    headers: { Origin: ORIGIN, "Access-Control-Request-Method": "POST" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), ORIGIN);
  const other = await fetch(engineUrl(pollingOnly, "transport=polling"), { headers: { Origin: "http://evil.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  const none = await fetch(engineUrl(plain, "transport=polling"), { headers: { Origin: ORIGIN } });
  assert.equal(none.headers.get("access-control-allow-origin"), null);
  assert.equal(none.headers.get("access-control-allow-credentials"), null);
});

test("max_connections: a second client is refused while the first holds the only connection", async () => {
  const ws = { transports: ["websocket"] };
  const first = await client(limited, ws);
  await connectError(limited.url, "/", ws);
  first.socket.close();
  // Once the first connection is closed its slot is free again (closing takes a moment).
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const again = await client(limited, ws);
      assert.deepEqual(await call(again.socket, "echo", "in"), ["in"]);
      again.socket.close();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

test("allow_request: the C host answers each handshake; a refusal gets its status and engine.io's body", async () => {
  const url = engineUrl(gated, "transport=polling");
  const none = await fetch(url);
  assert.equal(none.status, 403);
  assert.deepEqual(await none.json(), { code: 4, message: "Forbidden" });
  const wrong = await fetch(url, { headers: { "x-token": "wrong" } });
  assert.equal(wrong.status, 401);
  assert.deepEqual(await wrong.json(), { code: 4, message: "bad token" });
  // A host that never answers: refused at allow_request_timeout (500 ms here).
  const silent = await fetch(url, { headers: { "x-silent": "1" } });
  assert.equal(silent.status, 403);
  assert.deepEqual(await silent.json(), { code: 4, message: "Forbidden" });

  const refused = await connectError(gated.url, "/", { transports: ["websocket"] });
  assert.ok(refused);
  await connectError(gated.url, "/", { extraHeaders: { "x-token": "nope" } });
  for (const transports of [["polling", "websocket"], ["websocket"]]) {
    const { socket } = await client(gated, { transports, extraHeaders: { "x-token": "let-me-in" } });
    assert.deepEqual(await call(socket, "echo", "in"), ["in"]);
    socket.close();
  }
});

test("revision 18: allow_request_with (headers, connection id), CONNECTION_ERROR and UPGRADE events, close_connection", async () => {
  const named = await fetch(engineUrl(gated, "transport=polling"), { headers: { "x-token": "named" } });
  assert.equal(named.status, 200);
  assert.equal(named.headers.get("set-cookie"), "c=1; Path=/");
  assert.match(await named.text(), /^0\{"sid":"c-user-7"/);
  const observer = await client(gated, { transports: ["websocket"], extraHeaders: { "x-token": "let-me-in" } });
  // A refusal of the engine, reported to the C host with engine.io's code and context.
  const bad = await fetch(engineUrl(gated, "transport=carrier"));
  assert.equal(bad.status, 400);
  assert.deepEqual(await observer.log.next("conn-error"), [0, "Transport unknown", { transport: "carrier" }, "GET"]);
  // A client that upgrades: the host hears it with the connection's id and transport.
  const upgrading = await client(gated, { transports: ["polling", "websocket"], extraHeaders: { "x-token": "let-me-in" } });
  const id = upgrading.socket.io.engine.id;
  let upgraded;
  do upgraded = await observer.log.next("upgraded"); while (upgraded[0] !== id);
  assert.deepEqual(upgraded, [id, "websocket"]);
  // The host closes that connection; asking again finds nothing.
  assert.deepEqual(await call(observer.socket, "close-conn", id), [0]);
  assert.equal(await upgrading.disconnected, "transport close");
  assert.notEqual((await call(observer.socket, "close-conn", id))[0], 0);
});

test("listen off + adopt_fd: the host's own listener hands connections in; polling, WebSocket, upgrade", async () => {
  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
    const { socket } = await client(attached, { transports });
    assert.deepEqual(await call(socket, "echo", "adopted", Buffer.from([7])), ["adopted", Buffer.from([7])]);
    if (transports.length === 2 && socket.io.engine.transport.name !== "websocket") {
      await new Promise((resolve) => socket.io.engine.once("upgrade", resolve));
    }
    assert.equal(socket.io.engine.transport.name, transports.at(-1));
    socket.close();
  }
});

/** The Access-Control-Allow-Origin a polling handshake (or its preflight) from `origin` gets, and the response. */
async function corsOf(server, origin, preflight = false) {
  const headers = origin === undefined ? {} : { origin };
  if (preflight) headers["access-control-request-method"] = "POST";
  const res = await fetch(engineUrl(server, "transport=polling"), { method: preflight ? "OPTIONS" : "GET", headers });
  return [res.headers.get("access-control-allow-origin"), res];
}

test("revision 21: cors origin patterns beside exact origins, preflights included", async () => {
  for (const preflight of [false, true]) {
    assert.equal((await corsOf(patterned, ORIGIN, preflight))[0], ORIGIN);
    assert.equal((await corsOf(patterned, "https://x.b.example", preflight))[0], "https://x.b.example");
    assert.equal((await corsOf(patterned, "https://x.b.example.evil", preflight))[0], null);
    assert.equal((await corsOf(patterned, "http://other.example", preflight))[0], null);
  }
});

test("revision 23: cors methods, allowed and exposed headers and max age, as the cors package sends them", async () => {
  const preflight = await fetch(engineUrl(patterned, "transport=polling"), {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "x-other" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(preflight.headers.get("access-control-allow-methods"), "GET,POST");
  assert.equal(preflight.headers.get("access-control-allow-headers"), "content-type,x-token");
  assert.equal(preflight.headers.get("access-control-max-age"), "600");
  assert.equal(preflight.headers.get("access-control-expose-headers"), "x-request-id");
  const [allowed, res] = await corsOf(patterned, ORIGIN);
  assert.equal(allowed, ORIGIN);
  assert.equal(res.headers.get("access-control-expose-headers"), "x-request-id");
  assert.equal(res.headers.get("access-control-max-age"), null);
  // Defaults elsewhere: the requested headers are reflected, the cors package's methods.
  const reflected = await fetch(engineUrl(pollingOnly, "transport=polling"), {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "x-other" },
  });
  assert.equal(reflected.headers.get("access-control-allow-headers"), "x-other");
  assert.equal(reflected.headers.get("access-control-allow-methods"), "GET,HEAD,PUT,PATCH,POST,DELETE");
  assert.equal(reflected.headers.get("access-control-max-age"), null);
  assert.equal(reflected.headers.get("access-control-expose-headers"), null);
  // A socket.io client from the allowed origin connects and talks.
  const { socket } = await client(patterned, { transports: ["polling"], extraHeaders: { origin: ORIGIN, "x-token": "t" } });
  assert.deepEqual(await call(socket, "echo", "cors"), ["cors"]);
  socket.close();
});

test("revision 21: cors_origin_hook, the C host decides each request's origin", async () => {
  for (const preflight of [false, true]) {
    const [allowed, res] = await corsOf(hooked, "http://app.ok.example", preflight);
    assert.equal(allowed, "http://app.ok.example");
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    const [denied, ok] = await corsOf(hooked, "http://elsewhere.example", preflight);
    assert.equal(denied, null);
    assert.equal(ok.status, preflight ? 204 : 200);
  }
  const [none, refused] = await corsOf(hooked, "http://bad.example");
  assert.equal(none, null);
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), { code: 3, message: "Bad request" });
  // A socket.io client with an allowed origin connects over polling and WebSocket.
  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
    const { socket } = await client(hooked, { transports, extraHeaders: { origin: "http://app.ok.example" } });
    assert.deepEqual(await call(socket, "echo", "cors"), ["cors"]);
    socket.close();
  }
  await connectError(hooked.url, "/", { transports: ["polling"], extraHeaders: { origin: "http://bad.example" } });
});

test("parser msgpack: a socket.io-msgpack-parser client echoes JSON and binary through the C host; a JSON client is refused", async () => {
  for (const transports of [["websocket"], ["polling"]]) {
    const { socket } = await client(packed, { parser: msgpackParser, transports });
    assert.deepEqual(await call(socket, "echo", "hi", { n: [1, 2.5] }, Buffer.from([0, 255])), [
      "hi", { n: [1, 2.5] }, Buffer.from([0, 255]),
    ]);
  }
  const err = await connectError(packed.url, "/");
  assert.match(err.message, /this server uses the msgpack parser/);
});

test("each server stops cleanly on request (no leak under valgrind)", async () => {
  for (const server of [plain, wsOnly, pollingOnly, limited, gated, attached, packed, patterned, hooked]) {
    const ws = server === wsOnly || server === limited;
    const deadline = Date.now() + 10_000;
    let socket;
    for (;;) {
      try {
        const token = server === gated ? { extraHeaders: { "x-token": "let-me-in" } } : server === packed ? { parser: msgpackParser } : {};
        ({ socket } = await client(server, ws ? { transports: ["websocket"], ...token } : token));
        break;
      } catch (e) {
        if (server !== limited || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    socket.emit("shutdown");
    const { code, signal, stdout, stderr } = await server.exit;
    assert.equal(signal, null, stderr);
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.match(stdout, /done: 0 failures/);
  }
});
