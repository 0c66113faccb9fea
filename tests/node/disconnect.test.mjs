// Disconnect reasons as the server records them, and as the client sees them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startServer, connect, call, once, eventually, disconnectOf, closeAll } from "./helpers.mjs";

let server, observer;
before(async () => {
  server = await startServer("e2e", { PING_INTERVAL: "500", PING_TIMEOUT: "1000" });
  observer = (await connect(server.url)).socket;
});
after(() => {
  closeAll(observer);
  server?.close();
});

test("client leaves the namespace: `client namespace disconnect`", async () => {
  const { socket } = await connect(server.url);
  const sid = socket.id;
  socket.disconnect();
  assert.deepEqual(await disconnectOf(observer, sid), { sid, nsp: "/", reason: "client namespace disconnect" });
  closeAll(socket);
});

for (const transports of [["websocket"], ["polling"]]) {
  test(`client closes the connection over ${transports[0]}: \`transport close\``, async () => {
    const { socket } = await connect(server.url, "/dyn-close", { transports, upgrade: false });
    const sid = socket.id;
    socket.io.engine.close();
    assert.deepEqual(await disconnectOf(observer, sid), { sid, nsp: "/dyn-close", reason: "transport close" });
    closeAll(socket);
  });
}

test("the WebSocket drops without a close packet: `transport close`", async () => {
  const { socket } = await connect(server.url, "/", { transports: ["websocket"] });
  const sid = socket.id;
  socket.io.engine.transport.ws.terminate();
  assert.equal((await disconnectOf(observer, sid)).reason, "transport close");
  closeAll(socket);
});

test("server disconnects the socket from its namespace: the connection stays", async () => {
  const { socket } = await connect(server.url, "/", { transports: ["websocket"] });
  const other = socket.io.socket("/dyn-stays");
  try {
    other.connect();
    await once(other, "welcome");
    const sid = socket.id;
    const closed = once(socket, "disconnect");
    socket.emit("disconnect-me", false);
    assert.deepEqual(await closed, ["io server disconnect", undefined]);
    assert.deepEqual(await disconnectOf(observer, sid), { sid, nsp: "/", reason: "server namespace disconnect" });
    assert.equal(await call(other, "echo", "same connection"), "same connection");
    assert.equal(other.io.engine.readyState, "open");
  } finally {
    closeAll(other, socket);
  }
});

test("server disconnects the socket and closes its connection", async () => {
  const { socket } = await connect(server.url, "/", { transports: ["websocket"] });
  const sid = socket.id;
  const closed = once(socket, "disconnect");
  const engine = socket.io.engine;
  socket.emit("disconnect-me", true);
  assert.equal((await closed)[0], "io server disconnect");
  assert.equal((await disconnectOf(observer, sid)).reason, "server namespace disconnect");
  await eventually(() => engine.readyState === "closed", "engine closed");
  closeAll(socket);
});

test("a client that never answers pings: `ping timeout`", async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  let wake = () => {};
  ws.on("message", (d) => { frames.push(d.toString()); wake(); });
  const next = (pred) => eventually(() => frames.find(pred), "frame");
  try {
    await once(ws, "open");
    await next((f) => f.startsWith("0{"));
    ws.send("40");
    const sid = JSON.parse((await next((f) => f.startsWith("40{"))).slice(2)).sid;
    await next((f) => f === "2"); // the server pings; we stay silent
    const [code] = await once(ws, "close");
    assert.ok(code >= 1000, "the server closed the WebSocket");
    assert.deepEqual(await disconnectOf(observer, sid), { sid, nsp: "/", reason: "ping timeout" });
  } finally {
    ws.terminate();
  }
});
