// Acknowledgements both ways (with timeouts), broadcast acks, binary both ways, volatile.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, call, callAll, closeAll } from "./helpers.mjs";

let server;
before(async () => { server = await startServer("e2e"); });
after(() => server?.close());

/** Binary values arrive as Buffer (WebSocket) or ArrayBuffer; compare them as Buffers. */
const buf = (x) => Buffer.from(x);

test("client → server ack returns every argument", async () => {
  const { socket } = await connect(server.url);
  try {
    assert.deepEqual(await callAll(socket, "echo", "a", 2, [true, null], { k: { l: "m" } }), ["a", 2, [true, null], { k: { l: "m" } }]);
    assert.deepEqual(await callAll(socket, "echo"), [], "an ack with no arguments");
  } finally {
    closeAll(socket);
  }
});

test("server → client ack carries the client's reply", async () => {
  const { socket } = await connect(server.url);
  try {
    socket.on("ask", (x, y, ack) => ack(x + 1, `${y}!`));
    assert.deepEqual(await call(socket, "server-ack", "ask", 5000, 41, "hey"), { ok: [42, "hey!"] });
  } finally {
    closeAll(socket);
  }
});

test("server → client ack times out when the client never answers", async () => {
  const { socket } = await connect(server.url);
  try {
    let asked = 0;
    socket.on("ignored", () => { asked++; });
    assert.deepEqual(await call(socket, "server-ack", "ignored", 100, "x"), { timeout: true });
    assert.equal(asked, 1, "the event itself was delivered");
    assert.equal(await call(socket, "echo", "alive"), "alive");
  } finally {
    closeAll(socket);
  }
});

test("client ack times out when the server never answers (client-side timeout)", async () => {
  const { socket } = await connect(server.url);
  try {
    // The server's `echo-event` handler never answers an ack request.
    await assert.rejects(socket.timeout(200).emitWithAck("echo-event", "no ack"), /operation has timed out/);
  } finally {
    closeAll(socket);
  }
});

let room = 0;
/** Three clients in a fresh dynamic namespace, all in room `r`. */
async function trio() {
  const nsp = `/dyn-acks-${++room}`;
  const clients = await Promise.all([0, 1, 2].map(() => connect(server.url, nsp)));
  for (const c of clients) await call(c.socket, "join", "r");
  return clients.map((c) => c.socket);
}

test("broadcast with ack collects every reply", async () => {
  const sockets = await trio();
  try {
    for (const s of sockets) s.on("poll", (ack) => ack(s.id));
    const res = await call(sockets[0], "broadcast-ack", "r", "poll", 5000);
    assert.equal(res.timedOut, false);
    const got = res.replies.map((r) => [r.sid, r.args]).sort();
    assert.deepEqual(got, sockets.map((s) => [s.id, [s.id]]).sort());
  } finally {
    closeAll(...sockets);
  }
});

test("broadcast with ack times out but carries the replies that arrived", async () => {
  const sockets = await trio();
  try {
    const [a, b, c] = sockets;
    a.on("poll", (ack) => ack("a"));
    b.on("poll", (ack) => ack("b"));
    c.on("poll", () => {}); // never answers
    const res = await call(a, "broadcast-ack", "r", "poll", 1500);
    assert.equal(res.timedOut, true);
    assert.deepEqual(res.replies.map((r) => [r.sid, r.args]).sort(), [[a.id, ["a"]], [b.id, ["b"]]].sort());
  } finally {
    closeAll(...sockets);
  }
});

test("broadcast with ack to an empty room answers at once with no replies", async () => {
  const { socket } = await connect(server.url);
  try {
    assert.deepEqual(await call(socket, "broadcast-ack", "nobody-here", "poll", 5000), { replies: [], timedOut: false });
  } finally {
    closeAll(socket);
  }
});

for (const transports of [["websocket"], ["polling"]]) {
  const t = transports[0];
  test(`binary both ways over ${t}`, async () => {
    const { socket, log } = await connect(server.url, "/", { transports, upgrade: false });
    try {
      const one = Buffer.from([1, 2, 3]);
      const two = Buffer.from("binary ✓");
      // Client → server → client through an ack, nested and top-level.
      const [r1, r2, r3] = await callAll(socket, "echo", one, { nested: [two], text: "t" }, 5);
      assert.deepEqual(buf(r1), one);
      assert.deepEqual(buf(r2.nested[0]), two);
      assert.equal(r2.text, "t");
      assert.equal(r3, 5);
      // Through an event the server emits.
      socket.emit("echo-event", "label", two);
      const [label, b] = await log.next("echo");
      assert.equal(label, "label");
      assert.deepEqual(buf(b), two);
      // Server → client ack with binary both ways.
      socket.on("ask-bin", (x, ack) => ack(Buffer.concat([buf(x), Buffer.from([9])])));
      const res = await call(socket, "server-ack", "ask-bin", 5000, one);
      assert.deepEqual(buf(res.ok[0]), Buffer.from([1, 2, 3, 9]));
      // An empty buffer and a large one (several hundred KB).
      const big = Buffer.alloc(300_000, 7);
      const [e, g] = await callAll(socket, "echo", Buffer.alloc(0), big);
      assert.equal(buf(e).length, 0);
      assert.ok(buf(g).equals(big));
    } finally {
      closeAll(socket);
    }
  });
}

test("a binary broadcast reaches each room member intact", async () => {
  const sockets = await trio();
  try {
    const data = Buffer.from([0, 255, 128, 64]);
    sockets[0].emit("to-room", "r", "bin", data, "tail");
    const got = await Promise.all(sockets.map((s) => new Promise((res) => s.once("bin", (...a) => res(a)))));
    for (const [d, tail] of got) {
      assert.deepEqual(buf(d), data);
      assert.equal(tail, "tail");
    }
  } finally {
    closeAll(...sockets);
  }
});

// Volatile packets are dropped when the transport cannot take them at once (a polling
// client between two GETs, or mid-upgrade), so only an idle WebSocket is deterministic.
test("a volatile emit reaches an idle socket", async () => {
  const { socket, log } = await connect(server.url, "/", { transports: ["websocket"] });
  try {
    socket.emit("volatile", "v", 1, "two");
    assert.deepEqual(await log.next("v"), [1, "two"]);
  } finally {
    closeAll(socket);
  }
});
