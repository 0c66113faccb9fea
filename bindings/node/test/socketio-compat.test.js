'use strict';
// socket.io API details that socket.io's own server test suite (scripts/socketio-suite.sh)
// showed missing or different, each checked here with the real socket.io-client:
// io.httpServer on roomcast's own port, options read as own properties only, socket.local,
// socket.client, allSockets(), the new_namespace event, dynamic children (made once, made
// by io.of(name), cleaned up after a refusal), io.close(fn)'s error, listen() after close(),
// onAnyOutgoing for broadcasts.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { ioc, roomcast, serve, client, once, connected, nextConnection, sleep } = require('./helpers');

test('io.httpServer on its own port: address() is the core listener, listening, close event', async (t) => {
  const io = new roomcast.Server({ host: '127.0.0.1' });
  assert.equal(io.httpServer, null);
  io.listen(0);
  t.after(() => io.close());
  const addr = io.httpServer.address();
  assert.equal(addr.port, io.port);
  assert.ok(addr.port > 0);
  assert.equal(addr.family, 'IPv4');
  assert.deepEqual(addr, io.address());
  assert.equal(io.httpServer.listening, true);
  // What socket.io's tests (and code written for socket.io) do with it: connect to its port.
  const c = ioc(`http://127.0.0.1:${io.httpServer.address().port}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  t.after(() => c.disconnect());
  await connected(c);
  const closed = once(io.httpServer, 'close');
  c.disconnect();
  await io.close();
  await closed;
  assert.equal(io.httpServer.listening, false);
});

test('a property added to Object.prototype is not read as an option', async (t) => {
  Object.defineProperty(Object.prototype, 'foo', { value: 'bar', enumerable: true, configurable: true, writable: true });
  let io;
  try {
    io = serve(t);
  } finally {
    delete Object.prototype.foo;
  }
  io.on('connection', (s) => s.emit('hi'));
  await once(client(t, io), 'hi');
});

test('socket.local is an operator to the others of this node; operators expose rooms, exceptRooms, flags', async (t) => {
  const io = serve(t);
  const first = nextConnection(io.sockets);
  const a = await connected(client(t, io));
  const sa = await first;
  const b = await connected(client(t, io));
  let selfGot = false;
  a.on('x', () => (selfGot = true));
  const got = once(b, 'x');
  sa.local.emit('x', 1);
  assert.deepEqual(await got, [1]);
  const op = sa.local.compress(false).to(['room1', 'room2']).except('room3');
  assert.deepEqual([...op.rooms].sort(), ['room1', 'room2']);
  assert.ok(op.exceptRooms.has('room3') && op.exceptRooms.has(sa.id));
  assert.deepEqual(op.flags, { local: true, compress: false });
  // Operators are immutable: deriving one changes neither.
  op.to('room4').except('room5');
  assert.deepEqual([...op.rooms].sort(), ['room1', 'room2']);
  assert.equal(op.exceptRooms.has('room5'), false);
  // And the socket's own next emit is unaffected by .local.
  const direct = once(a, 'direct');
  sa.emit('direct', 2);
  assert.deepEqual(await direct, [2]);
  // The sender's own client got no 'x' (socket.io's socket.local broadcasts); it would
  // have arrived before 'direct', sent to the same client after it.
  assert.equal(selfGot, false);
});

test('socket.client: conn, id, request, one object for the sockets of one connection', async (t) => {
  const io = serve(t);
  const main = nextConnection(io.sockets);
  const other = nextConnection(io.of('/other'));
  const c = ioc(`http://127.0.0.1:${io.port}`, { reconnection: false, transports: ['websocket'], extraHeaders: { 'x-probe': 'yes' } });
  const d = ioc(`http://127.0.0.1:${io.port}/other`, { reconnection: false, transports: ['websocket'] });
  t.after(() => {
    c.disconnect();
    d.disconnect();
  });
  assert.equal(d.io, c.io);
  const [s1, s2] = await Promise.all([main, other]);
  assert.equal(typeof s1.client, 'object');
  assert.equal(s1.client, s2.client);
  assert.equal(s1.client.conn, s1.conn);
  assert.equal(s1.client.id, s1.conn.id);
  assert.equal(s1.client.request.headers['x-probe'], 'yes');
  assert.equal(s1.client.server, io);
});

test('allSockets() on the server, a namespace and an operator', async (t) => {
  const io = serve(t);
  io.of('/other');
  const conns = [];
  io.on('connection', (s) => {
    conns.push(s);
    if (conns.length === 1) s.join('r');
  });
  const joined = nextConnection(io.sockets);
  await connected(client(t, io));
  await joined;
  await connected(client(t, io));
  await connected(client(t, io, '/other'));
  await sleep(20);
  const all = await io.allSockets();
  assert.ok(all instanceof Set);
  assert.deepEqual([...all].sort(), conns.map((s) => s.id).sort());
  assert.deepEqual([...(await io.of('/other').allSockets())].length, 1);
  assert.deepEqual([...(await io.in('r').allSockets())], [conns[0].id]);
  assert.deepEqual([...(await io.except('r').allSockets())], [conns[1].id]);
});

test('new_namespace: emitted by io.of(name) and by a dynamic child, once per namespace', async (t) => {
  const io = serve(t);
  const made = [];
  io.on('new_namespace', (nsp) => made.push(nsp.name));
  io.of('/plain');
  io.of('/plain');
  assert.deepEqual(made, ['/plain']);
  const parent = io.of(/^\/dyn-\d+$/);
  // io.of(name) of a name a RegExp parent matches makes that parent's child.
  const manual = io.of('/dyn-7');
  assert.ok(parent.children.has(manual));
  assert.equal(io.of('/dyn-7'), manual);
  const got = once(parent, 'connection');
  await connected(client(t, io, '/dyn-8'));
  const [s] = await got;
  assert.equal(s.nsp.name, '/dyn-8');
  assert.deepEqual(made, ['/plain', '/dyn-7', '/dyn-8']);
  // A connection to the manual child goes to it (and its parent's listeners).
  const seen = once(manual, 'connection');
  await connected(client(t, io, '/dyn-7'));
  assert.equal((await seen)[0].nsp, manual);
});

test('a function-decided child is made once when two connections race for it (#4136)', async (t) => {
  const io = serve(t);
  let created = 0;
  io.on('new_namespace', () => created++);
  const waiting = [];
  const parent = io.of((name, auth, next) => {
    waiting.push(next);
    if (waiting.length === 2) for (const n of waiting) n(null, true);
  });
  const conns = [];
  parent.on('connection', (s) => conns.push(s));
  const a = client(t, io, '/race');
  const b = client(t, io, '/race');
  await Promise.all([connected(a), connected(b)]);
  assert.equal(created, 1);
  assert.equal(parent.children.size, 1);
  assert.equal(conns[0].nsp, conns[1].nsp);
  const got = Promise.all([once(a, 'm'), once(b, 'm')]);
  io.of('/race').emit('m', 1);
  assert.deepEqual(await got, [[1], [1]]);
});

test('cleanupEmptyChildNamespaces: a child whose only connection middleware refused is dropped', async (t) => {
  const io = serve(t, { cleanupEmptyChildNamespaces: true });
  let refuse = true;
  const parent = io.of(/^\/gate-\d+$/).use((socket, next) => (refuse ? next(new Error('not now')) : next()));
  const c = client(t, io, '/gate-1');
  assert.equal((await once(c, 'connect_error'))[0].message, 'not now');
  await sleep(20);
  assert.equal(parent.children.size, 0);
  // The name works again later: a new child.
  refuse = false;
  const got = once(parent, 'connection');
  await connected(client(t, io, '/gate-1'));
  assert.equal((await got)[0].nsp.name, '/gate-1');
  assert.equal(parent.children.size, 1);
  // Without the option, a refused connection's child stays.
  const io2 = serve(t);
  const parent2 = io2.of(/^\/gate-\d+$/).use((socket, next) => next(new Error('no')));
  await once(client(t, io2, '/gate-2'), 'connect_error');
  assert.equal(parent2.children.size, 1);
});

test('io.close(fn) passes the error of an attached http.Server that never listened', async () => {
  const httpServer = http.createServer();
  const io = new roomcast.Server(httpServer);
  const err = await new Promise((resolve) => io.close(resolve));
  assert.equal(err && err.code, 'ERR_SERVER_NOT_RUNNING');
  // The promise form resolves (socket.io: "should not throw").
  const io2 = new roomcast.Server(http.createServer());
  await io2.close();
});

test('listen() again after close(): the same port serves again and the client reconnects', async (t) => {
  const io = serve(t);
  const port = io.port;
  io.on('connection', (s) => s.on('ev', (v, ack) => ack(`got ${v}`)));
  const c = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200, transports: ['websocket'] });
  t.after(() => c.disconnect());
  await connected(c);
  assert.throws(() => io.listen(port), /already listening/);
  const gone = once(c, 'disconnect');
  await io.close();
  await gone;
  io.listen(port);
  assert.equal(io.port, port);
  await once(c.io, 'reconnect');
  assert.equal(await c.emitWithAck('ev', 1), 'got 1');
});

test('onAnyOutgoing hears the broadcasts that select the socket (binary too), not the others', async (t) => {
  const io = serve(t);
  const first = nextConnection(io.sockets);
  const a = await connected(client(t, io));
  const sa = await first;
  const second = nextConnection(io.sockets);
  const b = await connected(client(t, io));
  const sb = await second;
  sa.join('red');
  const heardA = [];
  const heardB = [];
  sa.onAnyOutgoing((ev, ...args) => heardA.push([ev, ...args]));
  sb.onAnyOutgoing((ev, ...args) => heardB.push([ev, ...args]));
  const gotA = once(a, 'everyone');
  const gotB = once(b, 'everyone');
  io.emit('everyone', 1);
  io.to('red').emit('red-only', 2);
  io.except('red').emit('not-red', 3);
  sa.broadcast.emit('from-a', 4);
  io.emit('bin', Uint8Array.of(1, 2, 3));
  sb.emit('own', 5, () => {});
  await Promise.all([gotA, gotB, once(b, 'own')]);
  assert.deepEqual(heardA.slice(0, 3), [['everyone', 1], ['red-only', 2], ['bin', Uint8Array.of(1, 2, 3)]]);
  assert.deepEqual(heardB.slice(0, 5).map((e) => e[0]), ['everyone', 'not-red', 'from-a', 'bin', 'own']);
  // The ack callback is not an argument the listeners see (as socket.io pops it first).
  assert.deepEqual(heardB[4], ['own', 5]);
  assert.ok(heardB[3][1] instanceof Uint8Array);
  // Removed: no more calls; a disconnected socket is not told.
  sa.offAnyOutgoing();
  b.disconnect();
  await once(sb, 'disconnect');
  io.emit('after', 6);
  assert.equal(heardA.length, 3);
  assert.equal(heardB.length, 5);
});
