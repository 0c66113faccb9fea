// The room events of the C ABI (revision 22): tests/c/rooms_test.c logs every
// ROOMCAST_EVENT_ROOM_* event beside CONNECTION / DISCONNECTING / DISCONNECT, in stream
// order; real socket.io-clients join, leave and disconnect, and the log must be what
// socket.io's in-memory adapter emits, in its order.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startC, connect, call } from "./harness.mjs";

let one; // observes "/"
let all; // observes every namespace (NULL)
const open = [];

async function client(server, nsp = "/") {
  const c = await connect(server.url, nsp);
  open.push(c.socket);
  return c;
}

/** The log since the last call (asked through `socket`, whose request comes after it). */
async function log(socket) {
  const [entries] = await call(socket, "log");
  return entries;
}

before(async () => {
  [one, all] = await Promise.all([startC("rooms_test"), startC("rooms_test", ["--all"])]);
});
after(() => {
  for (const s of open) s.close();
  for (const s of [one, all]) s?.kill();
});

test("create-room before join-room (own room too, before connection); no second create; leaves in join order on disconnect", async () => {
  const a = await client(one);
  const A = a.socket.id;
  assert.deepEqual(await log(a.socket), [
    ["/", "create-room", A],
    ["/", "join-room", A, A],
    ["/", "connection", A],
  ]);

  await call(a.socket, "join", "r1");
  await call(a.socket, "join", "r1"); // in it already: nothing
  await call(a.socket, "leave", "nope"); // not in it: nothing
  const b = await client(one);
  const B = b.socket.id;
  await call(b.socket, "join", "r1"); // a room A has: no create-room
  assert.deepEqual(await log(a.socket), [
    ["/", "create-room", "r1"],
    ["/", "join-room", "r1", A],
    ["/", "create-room", B],
    ["/", "join-room", B, B],
    ["/", "connection", B],
    ["/", "join-room", "r1", B],
  ]);

  // A bulk join (socketsJoin) reports each socket's join.
  await call(a.socket, "all-join", "everyone");
  const bulk = await log(a.socket);
  assert.deepEqual(bulk[0], ["/", "create-room", "everyone"]);
  assert.deepEqual(
    bulk.slice(1).sort(),
    [["/", "join-room", "everyone", A], ["/", "join-room", "everyone", B]].sort(),
  );
  assert.equal(bulk.length, 3);

  // B goes: between disconnecting and disconnect it leaves each room in the order it
  // joined them; its own room empties (delete-room), r1 and everyone keep A.
  const gone = a.log.next("gone");
  b.socket.close();
  assert.deepEqual(await gone, [B]);
  assert.deepEqual(await log(a.socket), [
    ["/", "disconnecting", B],
    ["/", "leave-room", B, B],
    ["/", "delete-room", B],
    ["/", "leave-room", "r1", B],
    ["/", "leave-room", "everyone", B],
    ["/", "disconnect", B],
  ]);

  // The last one out: leave-room, then delete-room.
  await call(a.socket, "leave", "r1");
  assert.deepEqual(await log(a.socket), [
    ["/", "leave-room", "r1", A],
    ["/", "delete-room", "r1"],
  ]);
});

test("only the observed namespace reports; with NULL every namespace does", async () => {
  const a = await client(one);
  await log(a.socket);
  const c = await client(one, "/other");
  await call(c.socket, "join", "x");
  assert.deepEqual(await log(a.socket), [["/other", "connection", c.socket.id]]);

  const d = await client(all, "/other");
  const D = d.socket.id;
  await call(d.socket, "join", "x");
  assert.deepEqual(await log(d.socket), [
    ["/other", "create-room", D],
    ["/other", "join-room", D, D],
    ["/other", "connection", D],
    ["/other", "create-room", "x"],
    ["/other", "join-room", "x", D],
  ]);
});

test("shutdown: no failed expectation in the program, nothing leaked", async () => {
  for (const server of [one, all]) {
    const s = await client(server);
    s.socket.emit("shutdown");
    const r = await server.exit;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /done: 0 failures/);
  }
});
