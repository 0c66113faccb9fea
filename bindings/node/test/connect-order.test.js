'use strict';
// socket.io's connection semantics: the `connection` handler runs before the client can
// see its `connect`, so what the handler does (join, emit to the socket) is in effect by
// then. The core holds each CONNECT until the handler has run.
const test = require('node:test');
const assert = require('node:assert/strict');
const { serve, client, once } = require('./helpers');

const N = 200;

test(`${N} connects: the handler ran before each client saw connect; a broadcast to its room reaches it`, async (t) => {
  const io = serve(t);
  const handled = new Set();
  io.on('connection', (socket) => {
    socket.join('lobby');
    handled.add(socket.id);
  });
  const early = [];
  const news = [];
  for (let i = 0; i < N; i++) {
    const c = client(t, io);
    news.push(new Promise((resolve) => {
      c.on('news', (about) => {
        if (about === c.id) resolve(about);
      });
    }));
    c.on('connect', () => {
      if (!handled.has(c.id)) early.push(c.id);
      // A broadcast right when the client sees its connection (a timer tick that happens
      // to fire then): the room joined by the handler must already include it.
      io.to('lobby').emit('news', c.id);
    });
  }
  const got = await Promise.all(news);
  assert.deepEqual(early, [], 'no client saw connect before its connection handler ran');
  assert.equal(new Set(got).size, N);
});

test('what the connection handler emits arrives right after connect', async (t) => {
  const io = serve(t);
  io.on('connection', (socket) => socket.emit('hello', socket.id));
  const c = client(t, io);
  const [id] = await once(c, 'hello');
  assert.ok(c.connected);
  assert.equal(id, c.id);
});

test('calls made in connect middleware and the connection handler take effect in order', async (t) => {
  const io = serve(t);
  io.use((socket, next) => {
    socket.join('from-middleware');
    next();
  });
  io.on('connection', (socket) => {
    socket.join('from-handler');
    socket.emit('rooms', [...socket.rooms].sort());
    socket.leave('from-middleware');
    socket.emit('rooms', [...socket.rooms].sort());
    socket.disconnect();
  });
  const c = client(t, io);
  const seen = [];
  c.on('connect', () => seen.push(['connect', c.id]));
  c.on('rooms', (r) => seen.push(['rooms', r]));
  const [reason] = await once(c, 'disconnect');
  assert.equal(reason, 'io server disconnect');
  const id = seen[0][1];
  assert.deepEqual(seen, [
    ['connect', id],
    ['rooms', [id, 'from-handler', 'from-middleware'].sort()],
    ['rooms', [id, 'from-handler'].sort()],
  ]);
});
