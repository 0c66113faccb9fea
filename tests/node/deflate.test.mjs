// permessage-deflate (README "permessage-deflate"), against the Rust e2e server:
// - off (the default): an offered extension is not negotiated;
// - on: the 101 answers with no context takeover either way; socket.io-client (whose `ws`
//   offers the extension) exchanges messages above and below the threshold, binary and
//   room broadcasts intact; a raw client sees which messages came compressed (RSV1), that
//   compress(false) is honoured, and a zip bomb or corrupt data closes only that client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startServer, connect, call, callAll, once } from "./helpers.mjs";
import { rawWebSocket, rawSocketIo, frame, deflate, textOf } from "./rawws.mjs";

const AGREED = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
let plain, zipped;
before(async () => {
  [plain, zipped] = await Promise.all([
    startServer("e2e"),
    startServer("e2e", { PER_MESSAGE_DEFLATE: "1024" }),
  ]);
});
after(() => { plain?.close(); zipped?.close(); });

const wsUrl = (server) => server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket";

test("deflate off (the default): an offered permessage-deflate is not negotiated", async () => {
  const ws = new WebSocket(wsUrl(plain), { perMessageDeflate: { threshold: 0 } });
  const [upgraded, opened] = [once(ws, "upgrade"), once(ws, "open")];
  const [res] = await upgraded;
  assert.equal(res.headers["sec-websocket-extensions"], undefined);
  await opened;
  assert.equal(ws.extensions, "", "ws agreed on no extension");
  ws.close();
});

test("deflate on: the offer of ws is answered with no context takeover either way", async () => {
  const ws = new WebSocket(wsUrl(zipped));
  const [upgraded, opened] = [once(ws, "upgrade"), once(ws, "open")];
  const [res] = await upgraded;
  assert.equal(res.headers["sec-websocket-extensions"], AGREED);
  await opened;
  assert.match(ws.extensions, /^permessage-deflate/);
  ws.close();
  // No offer, no extension.
  const raw = await rawWebSocket(`${zipped.url}/socket.io/?EIO=4&transport=websocket`, null);
  assert.equal(raw.headers["sec-websocket-extensions"], undefined);
  raw.close();
});

test("socket.io-client exchanges text above and below the threshold and binary, intact", async () => {
  const { socket } = await connect(zipped.url, "/", { transports: ["websocket"] });
  try {
    assert.match(socket.io.engine.transport.ws.extensions, /^permessage-deflate/, "the client negotiated it");
    const big = "roomcast ".repeat(50_000);
    assert.deepEqual(await callAll(socket, "echo", big), [big]);
    assert.deepEqual(await callAll(socket, "echo", "tiny"), ["tiny"]);
    const bin = Buffer.alloc(100_000, "abc");
    const [back] = await callAll(socket, "echo", bin);
    assert.ok(Buffer.from(back).equals(bin), "binary attachment round trip");
  } finally {
    socket.close();
  }
});

test("a broadcast to a room reaches socket.io-client members intact, compressed on the wire", async () => {
  const a = await connect(zipped.url, "/", { transports: ["websocket"] });
  const b = await connect(zipped.url, "/", { transports: ["websocket"] });
  const raw = await rawSocketIo(zipped.url);
  try {
    await call(a.socket, "join", "deflated-room");
    await call(b.socket, "join", "deflated-room");
    await raw.call("join", "deflated-room");
    const text = "news for the room ".repeat(500);
    const gotB = b.log.next("room-news");
    const gotRaw = raw.event("room-news");
    a.socket.emit("to-room", "deflated-room", "room-news", text);
    assert.deepEqual(await gotB, [text]);
    const { frame: f, args } = await gotRaw;
    assert.ok(f.rsv1, "the broadcast came compressed");
    assert.ok(f.payload.length < text.length / 10);
    assert.deepEqual(args, [text]);
  } finally {
    a.socket.close();
    b.socket.close();
    raw.close();
  }
});

test("messages below the threshold and compress(false) go uncompressed", async () => {
  const raw = await rawSocketIo(zipped.url);
  const { socket } = await connect(zipped.url, "/", { transports: ["websocket"] });
  try {
    const big = "x".repeat(5000);
    raw.emit("echo-event", "small");
    let { frame: f, args } = await raw.event("echo");
    assert.equal(f.rsv1, false, "below the threshold");
    assert.deepEqual(args, ["small"]);
    raw.emit("echo-event", big);
    ({ frame: f, args } = await raw.event("echo"));
    assert.equal(f.rsv1, true, "above the threshold");
    assert.deepEqual(args, [big]);
    // socket.compress(false).emit
    raw.emit("uncompressed", "plain-news", big);
    ({ frame: f, args } = await raw.event("plain-news"));
    assert.equal(f.rsv1, false, "compress(false)");
    assert.deepEqual(args, [big]);
    // io.compress(false).to(room).emit
    await raw.call("join", "uncompressed-room");
    await call(socket, "join", "uncompressed-room");
    socket.emit("to-room-uncompressed", "uncompressed-room", "room-plain", big);
    ({ frame: f, args } = await raw.event("room-plain"));
    assert.equal(f.rsv1, false, "compress(false) on a room broadcast");
    assert.deepEqual(args, [big]);
    // A compressed message from the client is read (this one ends with a final block).
    raw.send(frame({ rsv1: true, payload: deflate("42" + JSON.stringify(["echo-event", big])) }));
    ({ args } = await raw.event("echo"));
    assert.deepEqual(args, [big]);
  } finally {
    raw.close();
    socket.close();
  }
});

test("a zip bomb is closed with 1009 and corrupt data with 1007; other clients go on", async () => {
  const { socket } = await connect(zipped.url, "/", { transports: ["websocket"] });
  try {
    const bomb = await rawSocketIo(zipped.url);
    // 50 MB of zeros, about 50 KB compressed, against the default 1 MB max payload.
    bomb.send(frame({ rsv1: true, payload: deflate(Buffer.alloc(50_000_000)) }));
    const close = await bomb.next((f) => f.opcode === 8);
    assert.equal(close.payload.readUInt16BE(0), 1009);
    bomb.close();
    const corrupt = await rawSocketIo(zipped.url);
    corrupt.send(frame({ rsv1: true, payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]) }));
    const close2 = await corrupt.next((f) => f.opcode === 8);
    assert.equal(close2.payload.readUInt16BE(0), 1007);
    corrupt.close();
    const big = "still here ".repeat(1000);
    assert.deepEqual(await callAll(socket, "echo", big), [big]);
  } finally {
    socket.close();
  }
});

test("plain WebSocket routes negotiate it too: a compressed text is read and its echo goes compressed", async () => {
  const echo = await startServer("ws-echo", { PER_MESSAGE_DEFLATE: "1024" });
  try {
    const raw = await rawWebSocket(`${echo.url}/test`, "permessage-deflate; client_max_window_bits");
    assert.equal(raw.headers["sec-websocket-extensions"], AGREED);
    const text = "plain route ".repeat(500);
    raw.send(frame({ rsv1: true, payload: deflate(text) }));
    const f = await raw.next((x) => x.opcode === 1);
    assert.ok(f.rsv1, "the echo came compressed");
    assert.equal(textOf(f), `ECHO: ${text}`);
    raw.send(frame({ payload: "short" }));
    const g = await raw.next((x) => x.opcode === 1);
    assert.equal(g.rsv1, false, "below the threshold");
    assert.equal(textOf(g), "ECHO: short");
    raw.close();
  } finally {
    echo.close();
  }
});
