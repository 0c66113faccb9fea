// Rooms and every emit target. Each test uses its own dynamic namespace so tests cannot
// see each other's sockets. "Did not receive" is checked with a marker: the sender emits
// `marker` to everyone after the action, and since the server handles one socket's events
// in order and each socket's outbound queue is ordered, anything sent before the marker
// has arrived once the marker has.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, call, closeAll } from "./helpers.mjs";

let server;
before(async () => { server = await startServer("e2e"); });
after(() => server?.close());

let n = 0;
/** Three clients a, b, c in a fresh namespace; runs `body` and closes them. */
async function withTrio(body) {
  const nsp = `/dyn-rooms-${++n}`;
  const clients = await Promise.all([0, 1, 2].map(() => connect(server.url, nsp)));
  const [a, b, c] = clients;
  try {
    await body({ a, b, c, nsp });
  } finally {
    closeAll(...clients.map((x) => x.socket));
  }
}

/** Sends the marker from `from`; returns, per client, the `ev` args it got before the marker. */
async function receivedBefore(from, clients, ev) {
  from.socket.emit("to-all", "marker");
  const out = [];
  for (const cl of clients) {
    await cl.log.next("marker");
    const names = cl.log.names();
    out.push(cl.log.seen.slice(0, names.lastIndexOf("marker")).filter((e) => e.event === ev).map((e) => e.args));
  }
  return out;
}

test("join, leave and list rooms (one or many at once)", () =>
  withTrio(async ({ a, b }) => {
    const sid = a.socket.id;
    assert.deepEqual(await call(a.socket, "rooms"), [sid], "a socket starts in its own room");
    assert.deepEqual((await call(a.socket, "join", "r1")).sort(), [sid, "r1"].sort());
    assert.deepEqual((await call(a.socket, "join", ["r2", "r3"])).sort(), [sid, "r1", "r2", "r3"].sort());
    assert.deepEqual((await call(a.socket, "leave", "r2")).sort(), [sid, "r1", "r3"].sort());
    await call(b.socket, "join", "r1");
    assert.deepEqual((await call(a.socket, "sockets-in", "r1")).sort(), [a.socket.id, b.socket.id].sort());
    assert.deepEqual(await call(a.socket, "sockets-in", "r3"), [sid]);
    assert.deepEqual(await call(a.socket, "sockets-in", b.socket.id), [b.socket.id], "a socket id is a room");
    await call(a.socket, "leave", ["r1", "r3"]);
    assert.deepEqual(await call(a.socket, "sockets-in", "r3"), [], "an empty room has nobody");
    assert.deepEqual(await call(a.socket, "rooms"), [sid]);
  }));

test("to a room reaches its members, the sender too when it is one", () =>
  withTrio(async ({ a, b, c }) => {
    await call(a.socket, "join", "r");
    await call(b.socket, "join", "r");
    a.socket.emit("to-room", "r", "ev", 1, { x: "y" });
    assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[[1, { x: "y" }]], [[1, { x: "y" }]], []]);
  }));

test("to one socket by its id", () =>
  withTrio(async ({ a, b, c }) => {
    a.socket.emit("to-room", b.socket.id, "ev", "just b");
    assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[], [["just b"]], []]);
  }));

test("to several rooms reaches each member once", () =>
  withTrio(async ({ a, b, c }) => {
    await call(a.socket, "join", "r1");
    await call(b.socket, "join", ["r1", "r2"]);
    await call(c.socket, "join", "r3");
    a.socket.emit("to-rooms", ["r1", "r2"], "ev", "both");
    assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[["both"]], [["both"]], []]);
  }));

test("to a room except the sender (socket.to(room))", () =>
  withTrio(async ({ a, b, c }) => {
    await call(a.socket, "join", "r");
    await call(b.socket, "join", "r");
    a.socket.emit("to-room-except-sender", "r", "ev", "hi");
    assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[], [["hi"]], []]);
  }));

test("broadcast reaches everyone but the sender", () =>
  withTrio(async ({ a, b, c }) => {
    a.socket.emit("broadcast", "ev", "all but a");
    assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[], [["all but a"]], [["all but a"]]]);
  }));

test("to all reaches everyone in the namespace", () =>
  withTrio(async ({ a, b, c }) => {
    a.socket.emit("to-all", "ev", 7);
    assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[[7]], [[7]], [[7]]]);
  }));

test("to all except rooms and socket ids", () =>
  withTrio(async ({ a, b, c }) => {
    await call(b.socket, "join", "skip");
    a.socket.emit("to-all-except", { rooms: ["skip"] }, "ev", "not b");
    a.socket.emit("to-all-except", { rooms: [c.socket.id, a.socket.id] }, "ev", "only b");
    assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[["not b"]], [["only b"]], [["not b"]]]);
  }));

test("emits stay inside their namespace", async () => {
  const other = await connect(server.url, "/");
  try {
    await withTrio(async ({ a, b, c }) => {
      a.socket.emit("to-all", "ev", "ns only");
      assert.deepEqual(await receivedBefore(a, [a, b, c], "ev"), [[["ns only"]], [["ns only"]], [["ns only"]]]);
    });
    // `other` lives in `/`: a to-all there is the first `ev` it ever sees.
    other.socket.emit("to-room", other.socket.id, "ev", "mine");
    assert.deepEqual(await other.log.next("ev"), ["mine"]);
  } finally {
    closeAll(other.socket);
  }
});
