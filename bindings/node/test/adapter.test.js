'use strict';
// io.of(nsp).adapter, the read-only view: `rooms` and `sids` read from the core follow
// join, leave, socketsJoin and disconnects; the idiom io.sockets.adapter.rooms.get(room)?.size
// works; serverCount() is 1 without a cluster. The room events (create-room, join-room,
// leave-room, delete-room) come in socket.io's in-memory adapter's order, with its
// arguments, for each socket's own room too, around connection and disconnect.

const test = require('node:test');
const assert = require('node:assert/strict');
const { serve, client, once, connected, sleep } = require('./helpers');

test('adapter.rooms / adapter.sids follow the core; serverCount', async (t) => {
  const io = serve(t);
  const server = new Map();
  io.on('connection', (s) => {
    s.join(['lobby', `r-${s.handshake.query.n}`]);
    server.set(s.handshake.query.n, s);
  });
  const c1 = await connected(client(t, io, '/', { query: { n: '1' } }));
  const c2 = await connected(client(t, io, '/', { query: { n: '2' } }));
  const [s1, s2] = [server.get('1'), server.get('2')];
  const adapter = io.of('/').adapter;
  assert.equal(adapter, io.sockets.adapter, 'one adapter per namespace');
  assert.equal(adapter.nsp, io.sockets);
  assert.equal(io.sockets.adapter.rooms.get('lobby')?.size, 2);
  assert.deepEqual([...adapter.rooms.get('r-1')], [s1.id]);
  assert.equal(adapter.rooms.get('nowhere')?.size, undefined);
  assert.deepEqual(new Set(adapter.sids.get(s2.id)), new Set([s2.id, 'lobby', 'r-2']));
  assert.deepEqual([...adapter.rooms.get(s1.id)], [s1.id], "each socket's own room");
  s1.leave('lobby');
  assert.deepEqual([...adapter.rooms.get('lobby')], [s2.id]);
  io.socketsJoin('everyone');
  assert.equal(adapter.rooms.get('everyone').size, 2);
  c1.disconnect();
  await once(s1, 'disconnect');
  assert.equal(adapter.sids.has(s1.id), false);
  assert.equal(adapter.rooms.get('everyone').size, 1);
  assert.equal(await adapter.serverCount(), 1);
  assert.deepEqual(await adapter.allRooms(), new Set([s2.id, 'lobby', 'r-2', 'everyone']));
  void c2;
});

const ROOM_EVENTS = ['create-room', 'join-room', 'leave-room', 'delete-room'];

/** Records every room event of `adapter` as [event, ...args], into `seen`. */
function recordRooms(adapter, seen) {
  for (const ev of ROOM_EVENTS) adapter.on(ev, (...args) => seen.push([ev, ...args]));
}

/** Waits until `seen` has `n` entries (they come through the event queue); then takes them. */
async function take(seen, n) {
  for (let i = 0; seen.length < n && i < 500; i++) await sleep(10);
  await sleep(30); // and nothing more comes
  return seen.splice(0, seen.length);
}

test('adapter room events: order and arguments as socket.io, own room, no second create-room, disconnect', async (t) => {
  const io = serve(t);
  const seen = [];
  recordRooms(io.of('/').adapter, seen);
  io.on('connection', (s) => {
    seen.push(['connection', s.id]);
    s.on('join', (room, ack) => {
      s.join(room);
      ack();
    });
    s.on('leave', (room, ack) => {
      s.leave(room);
      ack();
    });
    s.on('disconnecting', () => seen.push(['disconnecting', s.id]));
    s.on('disconnect', () => seen.push(['disconnect', s.id]));
  });
  const c1 = await connected(client(t, io));
  const A = c1.id;
  // The own room first: create-room (one argument), join-room (room, id), then connection.
  assert.deepEqual(await take(seen, 3), [
    ['create-room', A],
    ['join-room', A, A],
    ['connection', A],
  ]);

  await c1.emitWithAck('join', 'r1');
  await c1.emitWithAck('join', 'r1'); // in it already: nothing
  await c1.emitWithAck('leave', 'nope'); // not in it: nothing
  const c2 = await connected(client(t, io));
  const B = c2.id;
  await c2.emitWithAck('join', 'r1'); // a room A has: join-room, no create-room
  assert.deepEqual(await take(seen, 6), [
    ['create-room', 'r1'],
    ['join-room', 'r1', A],
    ['create-room', B],
    ['join-room', B, B],
    ['connection', B],
    ['join-room', 'r1', B],
  ]);

  // socketsJoin: one create-room, a join-room per socket.
  io.socketsJoin('everyone');
  const bulk = await take(seen, 3);
  assert.deepEqual(bulk[0], ['create-room', 'everyone']);
  assert.deepEqual(bulk.slice(1).sort(), [['join-room', 'everyone', A], ['join-room', 'everyone', B]].sort());

  // B disconnects: between disconnecting and disconnect, a leave-room per room in the
  // order it joined them; its own room empties (delete-room after its leave-room).
  c2.disconnect();
  assert.deepEqual(await take(seen, 6), [
    ['disconnecting', B],
    ['leave-room', B, B],
    ['delete-room', B],
    ['leave-room', 'r1', B],
    ['leave-room', 'everyone', B],
    ['disconnect', B],
  ]);

  // The last one out of r1: leave-room, then delete-room.
  await c1.emitWithAck('leave', 'r1');
  assert.deepEqual(await take(seen, 2), [
    ['leave-room', 'r1', A],
    ['delete-room', 'r1'],
  ]);
});

test('adapter room events are per namespace: listening on one turns it on there only; once() works', async (t) => {
  const io = serve(t);
  const root = [];
  recordRooms(io.of('/').adapter, root);
  const other = io.of('/other');
  other.on('connection', (s) => s.join('x'));
  const c1 = await connected(client(t, io, '/other'));
  await sleep(100);
  assert.deepEqual(root, [], 'no event of another namespace');

  const seen = [];
  recordRooms(other.adapter, seen);
  const first = once(other.adapter, 'create-room');
  const c2 = await connected(client(t, io, '/other'));
  assert.deepEqual(await first, [c2.id]);
  assert.deepEqual(await take(seen, 3), [
    ['create-room', c2.id],
    ['join-room', c2.id, c2.id],
    ['join-room', 'x', c2.id],
  ]);
  assert.deepEqual(root, []);
  void c1;
});
