'use strict';
// perMessageDeflate from Node: the real socket.io-client negotiates it, messages above and
// below the threshold, binary and room broadcasts arrive intact, and compress(false) on a
// socket and on an operator sends uncompressed frames (seen by a raw client, which reads
// the RSV1 bit of each frame).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { serve, client, connected, once } = require('./helpers');

const raw = () => import(path.join(__dirname, '..', '..', '..', 'tests', 'node', 'rawws.mjs'));
const AGREED = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

test('perMessageDeflate: socket.io-client negotiates it; text, binary and rooms arrive intact', async (t) => {
  const io = serve(t, { perMessageDeflate: { threshold: 1024 } });
  io.on('connection', (socket) => {
    socket.on('echo', (x, ack) => ack(x));
    socket.on('join', (room, ack) => { socket.join(room); ack(); });
    socket.on('to-room', (room, ev, x) => socket.to(room).emit(ev, x));
  });
  const a = client(t, io);
  const b = client(t, io);
  await Promise.all([connected(a), connected(b)]);
  assert.match(a.io.engine.transport.ws.extensions, /^permessage-deflate/);
  const big = 'roomcast '.repeat(20_000);
  assert.equal(await a.timeout(10_000).emitWithAck('echo', big), big);
  assert.equal(await a.timeout(10_000).emitWithAck('echo', 'tiny'), 'tiny');
  const bin = Buffer.alloc(64 * 1024, 'xyz');
  assert.ok(Buffer.from(await a.timeout(10_000).emitWithAck('echo', bin)).equals(bin));
  await b.timeout(10_000).emitWithAck('join', 'room');
  const got = once(b, 'news');
  a.emit('to-room', 'room', 'news', big);
  assert.deepEqual(await got, [big]);
});

test('perMessageDeflate: compress(false) on a socket and on io.to(room) goes uncompressed', async (t) => {
  const { rawSocketIo } = await raw();
  const io = serve(t, { perMessageDeflate: true });
  const big = 'z'.repeat(4000);
  io.on('connection', (socket) => {
    socket.join('room');
    socket.on('go', () => {
      socket.emit('zipped', big);
      socket.compress(false).emit('plain', big);
      io.compress(false).to('room').emit('room-plain', big);
      io.to('room').emit('room-zipped', big);
    });
  });
  const c = await rawSocketIo(`http://127.0.0.1:${io.port}`);
  t.after(() => c.close());
  assert.equal(c.headers['sec-websocket-extensions'], AGREED);
  c.emit('go');
  for (const [ev, compressed] of [['zipped', true], ['plain', false], ['room-plain', false], ['room-zipped', true]]) {
    const { frame, args } = await c.event(ev);
    assert.equal(frame.rsv1, compressed, ev);
    assert.deepEqual(args, [big]);
  }
});

test('perMessageDeflate: emits of the connection handler keep their compress flag past the held CONNECT', async (t) => {
  // The handler runs before the client gets CONNECT; what it emits waits for the CONNECT
  // and must then go as the emit asked.
  const { rawSocketIo } = await raw();
  const io = serve(t, { perMessageDeflate: { threshold: 1024 } });
  const big = 'held until connect '.repeat(300);
  io.on('connection', (socket) => {
    socket.compress(false).emit('connect-plain', big);
    socket.emit('connect-zipped', big);
    io.compress(false).to(socket.id).emit('connect-room-plain', big);
    io.to(socket.id).emit('connect-room-zipped', big);
  });
  const c = await rawSocketIo(`http://127.0.0.1:${io.port}`);
  t.after(() => c.close());
  assert.equal(c.headers['sec-websocket-extensions'], AGREED);
  for (const [ev, compressed] of [['connect-plain', false], ['connect-zipped', true], ['connect-room-plain', false], ['connect-room-zipped', true]]) {
    const { frame, args } = await c.event(ev);
    assert.equal(frame.rsv1, compressed, ev);
    assert.deepEqual(args, [big]);
  }
  // socket.io-client (deflate negotiated) gets both intact, after its connect.
  const s = client(t, io);
  const got = [once(s, 'connect-plain'), once(s, 'connect-zipped')];
  await connected(s);
  assert.match(s.io.engine.transport.ws.extensions, /^permessage-deflate/);
  assert.deepEqual(await Promise.all(got), [[big], [big]]);
});

test('perMessageDeflate off (the default): no extension is negotiated', async (t) => {
  const { rawSocketIo } = await raw();
  const io = serve(t);
  const c = await rawSocketIo(`http://127.0.0.1:${io.port}`);
  t.after(() => c.close());
  assert.equal(c.headers['sec-websocket-extensions'], undefined);
});
