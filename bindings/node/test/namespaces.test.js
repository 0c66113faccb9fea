'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { serve, client, once, connected, nextConnection, sleep } = require('./helpers');

test('io.use: next(err) refuses the connection and err.data reaches the client', async (t) => {
  const io = serve(t);
  io.use((socket, next) => {
    if (socket.handshake.auth.token !== 'secret') {
      const err = new Error('not authorized');
      err.data = { content: 'retry with a token', code: 401 };
      return next(err);
    }
    socket.data.user = 'alice';
    next();
  });
  io.on('connection', (s) => s.emit('welcome', s.data.user));
  const bad = client(t, io, '/', { auth: { token: 'nope' } });
  const [err] = await once(bad, 'connect_error');
  assert.equal(err.message, 'not authorized');
  assert.deepEqual(err.data, { content: 'retry with a token', code: 401 });
  const good = client(t, io, '/', { auth: { token: 'secret' } });
  assert.deepEqual(await once(good, 'welcome'), ['alice']);
});

test('middleware runs in order, may be async, and sees a socket whose data persists', async (t) => {
  const io = serve(t);
  const order = [];
  io.use((socket, next) => {
    order.push(1);
    socket.data.a = 1;
    setTimeout(next, 20);
  });
  let idInMiddleware;
  io.use(async (socket, next) => {
    order.push(2);
    idInMiddleware = socket.id;
    socket.join('from-middleware');
    next();
  });
  const conn = nextConnection(io);
  client(t, io);
  const s = await conn;
  assert.deepEqual(order, [1, 2]);
  assert.deepEqual(s.data, { a: 1 });
  assert.ok(s.rooms.has('from-middleware'));
  assert.equal(typeof s.id, 'string');
  assert.equal(idInMiddleware, s.id);
});

test('a throwing middleware refuses the connection with its message', async (t) => {
  const io = serve(t);
  io.use(() => {
    throw new Error('boom');
  });
  const c = client(t, io);
  const [err] = await once(c, 'connect_error');
  assert.equal(err.message, 'boom');
});

test('io.of(name): separate namespaces, their own middleware and broadcasts', async (t) => {
  const io = serve(t);
  const admin = io.of('/admin');
  assert.equal(io.of('admin'), admin);
  admin.use((socket, next) => (socket.handshake.auth.role === 'admin' ? next() : next(new Error('admins only'))));
  admin.on('connection', (s) => s.on('whoami', (ack) => ack(s.nsp.name)));
  io.on('connection', (s) => s.on('whoami', (ack) => ack(s.nsp.name)));
  const root = client(t, io);
  const adm = client(t, io, '/admin', { auth: { role: 'admin' } });
  assert.equal(await adm.emitWithAck('whoami'), '/admin');
  assert.equal(await root.emitWithAck('whoami'), '/');
  const heard = [];
  root.on('news', (m) => heard.push(`root:${m}`));
  adm.on('news', (m) => heard.push(`admin:${m}`));
  admin.emit('news', 1);
  io.emit('news', 2);
  await sleep(200);
  assert.deepEqual(heard.sort(), ['admin:1', 'root:2']);
  const refused = client(t, io, '/admin', { auth: { role: 'guest' } });
  assert.equal((await once(refused, 'connect_error'))[0].message, 'admins only');
  const unknown = client(t, io, '/nope');
  assert.equal((await once(unknown, 'connect_error'))[0].message, 'Invalid namespace');
});

test('dynamic namespaces: io.of(/regex/) and io.of(fn) create children on first connection', async (t) => {
  const io = serve(t);
  const dyn = io.of(/^\/dyn-\w+$/);
  const seen = [];
  dyn.on('connection', (s) => {
    seen.push(s.nsp.name);
    s.on('name', (ack) => ack(s.nsp.name));
  });
  io.of((name, auth, next) => next(null, name === '/fn-ok' && auth.ok === true)).on('connection', (s) => s.emit('hi', s.nsp.name));
  const a = client(t, io, '/dyn-one');
  const b = client(t, io, '/dyn-two');
  assert.equal(await a.emitWithAck('name'), '/dyn-one');
  assert.equal(await b.emitWithAck('name'), '/dyn-two');
  assert.deepEqual(seen.sort(), ['/dyn-one', '/dyn-two']);
  assert.deepEqual([...dyn.children].map((n) => n.name).sort(), ['/dyn-one', '/dyn-two']);
  const got = Promise.all([once(a, 'all-dyn'), once(b, 'all-dyn')]);
  dyn.emit('all-dyn', 'x');
  assert.deepEqual(await got, [['x'], ['x']]);
  const bad = client(t, io, '/dyn-');
  assert.equal((await once(bad, 'connect_error'))[0].message, 'Invalid namespace');
  const f = client(t, io, '/fn-ok', { auth: { ok: true } });
  assert.deepEqual(await once(f, 'hi'), ['/fn-ok']);
  // The function decides once per name: an existing child is reused, as in socket.io.
  const g = client(t, io, '/fn-no', { auth: { ok: true } });
  assert.equal((await once(g, 'connect_error'))[0].message, 'Invalid namespace');
});

test('disconnect reasons on both sides, and disconnecting still sees the rooms', async (t) => {
  const io = serve(t);
  const reasons = [];
  io.on('connection', (s) => {
    s.join('room1');
    s.on('disconnecting', (r) => reasons.push(['disconnecting', r, [...s.rooms].filter((x) => x !== s.id)]));
    s.on('disconnect', (r) => reasons.push(['disconnect', r, s.rooms.size]));
  });
  const next = async () => {
    const conn = nextConnection(io);
    const c = client(t, io);
    await connected(c);
    return [c, await conn];
  };
  const waitServer = (n) =>
    (async () => {
      while (reasons.length < n) await sleep(10);
    })();

  let [c, s] = await next();
  c.disconnect();
  await waitServer(2);
  assert.deepEqual(reasons.splice(0), [['disconnecting', 'client namespace disconnect', ['room1']], ['disconnect', 'client namespace disconnect', 0]]);

  [c, s] = await next();
  let clientReason = once(c, 'disconnect');
  s.disconnect();
  assert.equal((await clientReason)[0], 'io server disconnect');
  await waitServer(2);
  assert.deepEqual(reasons.splice(0).map((r) => r[1]), ['server namespace disconnect', 'server namespace disconnect']);

  [c, s] = await next();
  clientReason = once(c, 'disconnect');
  s.disconnect(true);
  assert.equal((await clientReason)[0], 'io server disconnect');
  await waitServer(2);
  assert.deepEqual(reasons.splice(0).map((r) => r[1]), ['server namespace disconnect', 'server namespace disconnect']);

  [c, s] = await next();
  c.io.engine.close();
  await waitServer(2);
  assert.deepEqual(reasons.splice(0).map((r) => r[1]), ['transport close', 'transport close']);
  assert.equal(s.connected, false);
  assert.equal(s.disconnected, true);

  [c, s] = await next();
  clientReason = once(c, 'disconnect');
  await io.close();
  assert.deepEqual(reasons.splice(0).map((r) => r[1]), ['server shutting down', 'server shutting down']);
  assert.equal((await clientReason)[0], 'transport close');
});

test('disconnect(true) closes the whole connection: its sockets in every namespace leave with "server namespace disconnect"', async (t) => {
  // socket.io: Client#_disconnect calls disconnect() on each of the connection's sockets.
  const io = serve(t);
  const reasons = [];
  const record = (nsp) => (s) => s.on('disconnect', (reason) => reasons.push([nsp, reason]));
  io.on('connection', record('/'));
  const other = io.of('/other');
  other.on('connection', record('/other'));
  const conns = Promise.all([nextConnection(io), nextConnection(other)]);
  const main = client(t, io);
  const sibling = main.io.socket('/other'); // the same connection (one Manager)
  sibling.connect();
  t.after(() => sibling.disconnect());
  await Promise.all([connected(main), connected(sibling)]);
  const [s] = await conns;
  const clientReasons = Promise.all([once(main, 'disconnect'), once(sibling, 'disconnect')]);
  s.disconnect(true);
  assert.deepEqual((await clientReasons).map(([r]) => r), ['io server disconnect', 'io server disconnect']);
  while (reasons.length < 2) await sleep(10);
  assert.deepEqual(reasons.sort(), [['/', 'server namespace disconnect'], ['/other', 'server namespace disconnect']]);
});
