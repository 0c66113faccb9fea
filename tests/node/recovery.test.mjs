// Connection state recovery with the real socket.io-client: a socket whose transport drops
// comes back with its id, rooms and data and gets the events it missed, in order, once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, call, once, eventually, disconnectOf, closeAll } from "./helpers.mjs";

let server, sender;
before(async () => {
  server = await startServer("e2e", { RECOVERY_MS: "60000" });
  sender = (await connect(server.url)).socket;
});
after(() => {
  closeAll(sender);
  server?.close();
});

/** Closes the client's transport (as a network drop does) and waits until the server saw it. */
async function dropTransport(socket, observer = sender) {
  const sid = socket.id;
  const gone = once(socket, "disconnect");
  socket.io.engine.close();
  assert.equal((await gone)[0], "forced close"); // the client side of engine.close()
  assert.equal((await disconnectOf(observer, sid)).reason, "transport close");
}

/** Reconnects a socket (same Socket object, so the client sends its pid and offset). */
async function reconnect(socket, log) {
  const connected = once(socket, "connect");
  socket.connect();
  await connected;
  const [welcome] = await log.next("welcome");
  return welcome;
}

/**
 * Emits a command that the e2e server does not acknowledge, then waits until the server has
 * handled it (it handles one client's events in order, so an answered `echo` proves it).
 */
async function send(socket, ...args) {
  socket.emit(...args);
  await call(socket, "echo", "sync");
}

/** The `talk` events received so far, as their first argument. */
const talks = (log) => log.all("talk").map((args) => args[0]);

test("a dropped transport recovers id, rooms and data, and gets the missed talks in order once", async () => {
  const { socket, welcome, log } = await connect(server.url, "/", { transports: ["websocket"] });
  try {
    assert.equal(welcome.recovered, false);
    assert.equal(socket.recovered, false);
    const sid = socket.id;
    await call(socket, "join", ["kpl", "news"]);
    await call(socket, "set-data", { name: "ada" });
    await send(sender, "to-room", "kpl", "talk", "before");
    const [first] = await log.next("talk");
    assert.equal(first, "before");

    await dropTransport(socket);
    await send(sender, "to-room", "kpl", "talk", "missed 1");
    await send(sender, "to-room", "elsewhere", "talk", "not for me");
    await send(sender, "to-room", "news", "talk", "missed 2", { n: 2 });
    await send(sender, "to-all-except", { rooms: ["news"] }, "talk", "excluded");
    await send(sender, "to-all", "talk", "missed 3");

    const again = await reconnect(socket, log);
    assert.equal(socket.recovered, true, "client side");
    assert.equal(again.recovered, true, "server side");
    assert.equal(socket.id, sid);
    assert.deepEqual(again.data, { name: "ada" });
    assert.deepEqual((await call(socket, "rooms")).sort(), ["kpl", "news", sid].sort());
    await send(sender, "to-room", "kpl", "talk", "after");
    await eventually(() => talks(log).includes("after"), "the talk after the recovery");
    assert.deepEqual(talks(log), ["before", "missed 1", "missed 2", "missed 3", "after"]);
    // The offset is the last argument (the client does not strip it) and is a string.
    const missed2 = log.all("talk")[2];
    assert.deepEqual(missed2.slice(0, 2), ["missed 2", { n: 2 }]);
    assert.equal(typeof missed2[2], "string");
  } finally {
    closeAll(socket);
  }
});

test("automatic reconnection over polling recovers too", async () => {
  const { socket, log } = await connect(server.url, "/", {
    transports: ["polling"],
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 500,
  });
  try {
    const sid = socket.id;
    await call(socket, "join", "kpl-poll");
    await send(sender, "to-room", "kpl-poll", "talk", 1);
    await log.next("talk");
    await dropTransport(socket);
    for (const n of [2, 3, 4]) await send(sender, "to-room", "kpl-poll", "talk", n);
    const [welcome] = await log.next("welcome");
    assert.equal(welcome.recovered, true);
    assert.equal(socket.recovered, true);
    assert.equal(socket.id, sid);
    await eventually(() => talks(log).length === 4, "four talks");
    assert.deepEqual(talks(log), [1, 2, 3, 4]);
  } finally {
    closeAll(socket);
  }
});

test("binary events are replayed with their offset; acked and volatile ones carry none", async () => {
  const { socket, log } = await connect(server.url, "/", { transports: ["websocket"] });
  try {
    await call(socket, "join", "bin");
    await send(sender, "to-room", "bin", "talk", "start");
    await log.next("talk");
    // A server emit that asks for an ack is not stored: the client sees no offset.
    socket.once("ask", (a, ack) => ack(a * 2));
    const asked = await call(socket, "server-ack", "ask", 5000, 21);
    assert.deepEqual(asked, { ok: [42] });
    // Volatile packets are not stored either. (A trailing string argument would become the
    // client's offset, in socket.io as here, so this one sends a number.)
    socket.emit("volatile", "vol", 7);
    assert.deepEqual(await log.next("vol"), [7]);

    await dropTransport(socket);
    await send(sender, "to-room", "bin", "blob", Buffer.from([1, 2, 3]));
    await reconnect(socket, log);
    assert.equal(socket.recovered, true);
    const [blob, offset] = await log.next("blob");
    assert.deepEqual([...blob], [1, 2, 3]);
    assert.equal(typeof offset, "string");
  } finally {
    closeAll(socket);
  }
});

test("an explicit disconnect, by the client or the server, gets a fresh session", async () => {
  const { socket, log } = await connect(server.url, "/", { transports: ["websocket"] });
  try {
    const first = socket.id;
    await send(socket, "echo-event", "hello");
    await log.next("echo");
    socket.disconnect();
    assert.equal((await disconnectOf(sender, first)).reason, "client namespace disconnect");
    const w1 = await reconnect(socket, log);
    assert.equal(w1.recovered, false);
    assert.equal(socket.recovered, false);
    assert.notEqual(socket.id, first);

    const second = socket.id;
    const gone = once(socket, "disconnect");
    socket.emit("disconnect-me", false);
    assert.deepEqual(await gone, ["io server disconnect", undefined]);
    const w2 = await reconnect(socket, log);
    assert.equal(w2.recovered, false);
    assert.notEqual(socket.id, second);
  } finally {
    closeAll(socket);
  }
});

test("a forged or unknown pid gets a fresh session", async () => {
  const { socket } = await connect(server.url, "/", {
    auth: { pid: "AAAAAAAAAAAAAAAAAAAA", offset: "1" },
  });
  try {
    assert.equal(socket.recovered, false);
  } finally {
    closeAll(socket);
  }
});

test("middlewares are skipped after a recovery by default", async () => {
  const { socket, log } = await connect(server.url, "/admin", { auth: { token: "secret" } });
  try {
    const sid = socket.id;
    await send(socket, "echo-event", "x");
    await log.next("echo");
    await dropTransport(socket);
    socket.auth = { token: "wrong" }; // the middleware would refuse this
    const w = await reconnect(socket, log);
    assert.equal(w.recovered, true);
    assert.equal(socket.id, sid);
  } finally {
    closeAll(socket);
  }
});

test("with skipMiddlewares off, the middleware decides, and a recovered socket keeps its id", async () => {
  const strict = await startServer("e2e", { RECOVERY_MS: "60000", RECOVERY_SKIP_MIDDLEWARES: "0" });
  const observer = (await connect(strict.url)).socket;
  const { socket, log } = await connect(strict.url, "/admin", { auth: { token: "secret" } });
  try {
    const sid = socket.id;
    await send(socket, "echo-event", "x");
    await log.next("echo");
    await call(socket, "join", "ops");
    await dropTransport(socket, observer);
    const w = await reconnect(socket, log);
    assert.equal(w.recovered, true);
    assert.equal(socket.id, sid);
    assert.ok((await call(socket, "rooms")).includes("ops"));

    await dropTransport(socket, observer);
    socket.auth = { token: "wrong" };
    const refused = once(socket, "connect_error");
    socket.connect();
    const [err] = await refused;
    assert.equal(err.message, "unauthorized");
  } finally {
    closeAll(socket, observer);
    strict.close();
  }
});

test("after the window the client gets a fresh session", async () => {
  const short = await startServer("e2e", { RECOVERY_MS: "300" });
  const observer = (await connect(short.url)).socket;
  const { socket, log } = await connect(short.url, "/", { transports: ["websocket"] });
  try {
    const sid = socket.id;
    await send(socket, "echo-event", "x");
    await log.next("echo");
    await dropTransport(socket, observer);
    // Wait past the window (this is the behaviour under test, not a speed check).
    await new Promise((r) => setTimeout(r, 900));
    const w = await reconnect(socket, log);
    assert.equal(w.recovered, false);
    assert.equal(socket.recovered, false);
    assert.notEqual(socket.id, sid);
  } finally {
    closeAll(socket, observer);
    short.close();
  }
});

test("the replay buffer is bounded: a client whose offset was dropped gets a fresh session", async () => {
  const small = await startServer("e2e", { RECOVERY_MS: "60000", RECOVERY_MAX_PACKETS: "3" });
  const observer = (await connect(small.url)).socket;
  const { socket, log } = await connect(small.url, "/", { transports: ["websocket"] });
  try {
    await send(socket, "echo-event", "x");
    await log.next("echo");
    await dropTransport(socket, observer);
    for (let i = 0; i < 5; i++) await send(observer, "to-all", "talk", i);
    const w = await reconnect(socket, log);
    assert.equal(w.recovered, false);
    assert.deepEqual(talks(log), []);
  } finally {
    closeAll(socket, observer);
    small.close();
  }
});

test("recovery is off unless configured: no pid, no offsets", async () => {
  const plain = await startServer("e2e");
  const { socket, log } = await connect(plain.url);
  try {
    await send(socket, "echo-event", "x");
    assert.deepEqual(await log.next("echo"), ["x"]);
    assert.equal(socket._pid, undefined);
  } finally {
    closeAll(socket);
    plain.close();
  }
});
