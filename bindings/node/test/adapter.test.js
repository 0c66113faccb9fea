'use strict';
// io.of(nsp).adapter, the read-only view: `rooms` and `sids` read from the core follow
// join, leave, socketsJoin and disconnects; the idiom io.sockets.adapter.rooms.get(room)?.size
// works; serverCount() is 1 without a cluster; the room events, not reported by the core
// yet, throw when listened to instead of never firing.

const test = require('node:test');
const assert = require('node:assert/strict');
const { serve, client, once, connected } = require('./helpers');

test('adapter.rooms / adapter.sids follow the core; serverCount; room events refused', async (t) => {
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
  for (const ev of ['create-room', 'join-room', 'leave-room', 'delete-room']) {
    assert.throws(() => adapter.on(ev, () => {}), new RegExp(`"${ev}" is not supported yet`));
    assert.throws(() => adapter.once(ev, () => {}), /not supported yet/);
  }
  void c2;
});
