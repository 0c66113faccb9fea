// Both transports and the polling → WebSocket upgrade, with the real socket.io-client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startServer, connect, call, callAll, once, record, closeAll } from "./helpers.mjs";

let server;
before(async () => { server = await startServer("e2e"); });
after(() => server?.close());

for (const transports of [["websocket"], ["polling"]]) {
  test(`${transports[0]} only: connect, events and acks`, async () => {
    const { socket, welcome, log } = await connect(server.url, "/", { transports, upgrade: false });
    try {
      assert.equal(socket.io.engine.transport.name, transports[0]);
      assert.equal(welcome.sid, socket.id);
      assert.equal(welcome.nsp, "/");
      assert.deepEqual(await callAll(socket, "echo", 1, "two", { three: [3] }, null), [1, "two", { three: [3] }, null]);
      socket.emit("echo-event", "hello", { n: 1 });
      assert.deepEqual(await log.next("echo"), ["hello", { n: 1 }]);
      assert.equal(socket.io.engine.transport.name, transports[0], "no upgrade happened");
    } finally {
      closeAll(socket);
    }
  });
}

test("polling upgrades to websocket and no event is lost across the upgrade", async () => {
  const socket = io(server.url, { forceNew: true, reconnection: false, transports: ["polling", "websocket"] });
  try {
    const log = record(socket);
    // The engine exists at once and starts on polling; watch it upgrade.
    assert.equal(socket.io.engine.transport.name, "polling");
    const upgraded = once(socket.io.engine, "upgrade");
    // Keep traffic flowing both ways while the upgrade happens (emits made before the
    // connection is up are buffered by the client and sent once it is).
    const N = 300;
    const acks = [];
    for (let i = 0; i < N; i++) {
      socket.emit("echo-event", i);
      acks.push(call(socket, "echo", i));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await upgraded;
    assert.equal(socket.io.engine.transport.name, "websocket");
    assert.deepEqual(await Promise.all(acks), [...Array(N).keys()]);
    socket.emit("echo-event", "after");
    for (let i = 0; i < N; i++) assert.deepEqual(await log.next("echo"), [i], "every echo arrives, in order");
    assert.deepEqual(await log.next("echo"), ["after"]);
  } finally {
    closeAll(socket);
  }
});
