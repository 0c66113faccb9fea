'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { ioc, roomcast, serve, client, once, collect, connected, nextConnection, sleep, repo } = require('./helpers');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('the seed snippet runs unchanged: talk reaches the others in KPL, not the sender', async (t) => {
  const port = await freePort();
  const { Server } = roomcast; // socket.io: const { Server } = require('socket.io');
  const io = new Server(port); // socket.io: const io = new Server(3000);
  t.after(() => io.close());
  io.on('connect', client => { client.join('KPL'); client.on('talk', m => client.to('KPL').emit('talk', m)); client.on('disconnect', () => {}) });
  const url = `http://127.0.0.1:${port}`;
  const [a, b, c] = [0, 1, 2].map(() => ioc(url, { forceNew: true, reconnection: false }));
  t.after(() => [a, b, c].forEach((s) => s.disconnect()));
  await Promise.all([a, b, c].map(connected));
  await sleep(100); // let the server run every connection handler (join) first
  const heardByA = [];
  a.on('talk', (m) => heardByA.push(m));
  const got = Promise.all([once(b, 'talk'), once(c, 'talk')]);
  a.emit('talk', { text: 'hello KPL' });
  assert.deepEqual(await got, [[{ text: 'hello KPL' }], [{ text: 'hello KPL' }]]);
  b.emit('talk', 'second');
  await once(a, 'talk');
  assert.deepEqual(heardByA, ['second']);
});

test('new Server(port, opts) and new Server(opts).listen(port) both listen', async (t) => {
  const port = await freePort();
  const io1 = new roomcast.Server(port, { host: '127.0.0.1' });
  t.after(() => io1.close());
  assert.equal(io1.port, port);
  const io2 = new roomcast.Server({ host: '127.0.0.1' }).listen(0);
  t.after(() => io2.close());
  assert.ok(io2.port > 0);
  assert.deepEqual(io2.address(), { address: '127.0.0.1', family: 'IPv4', port: io2.port });
  for (const io of [io1, io2]) {
    io.on('connection', (s) => s.emit('hi', io.port));
    const c = client(t, io);
    assert.deepEqual(await once(c, 'hi'), [io.port]);
  }
  // (An http.Server is attached to: see attach.test.js.) Neither a port nor a server:
  assert.throws(() => new roomcast.Server('not a port'), /port number or an http\.Server/);
});

test('socket.id, handshake (auth, query, headers, address, time, url) and data', async (t) => {
  const io = serve(t);
  const conn = nextConnection(io);
  const c = client(t, io, '/', { auth: { token: 'abc' }, query: { room: 'r1' }, extraHeaders: { 'x-test': 'yes' } });
  const s = await conn;
  await connected(c);
  assert.equal(s.id, c.id);
  assert.deepEqual(s.handshake.auth, { token: 'abc' });
  assert.equal(s.handshake.query.room, 'r1');
  assert.equal(s.handshake.query.EIO, '4');
  assert.equal(s.handshake.headers['x-test'], 'yes');
  assert.match(s.handshake.address, /127\.0\.0\.1/);
  assert.ok(Math.abs(s.handshake.issued - Date.now()) < 60000);
  assert.equal(typeof s.handshake.time, 'string');
  assert.match(s.handshake.url, /^\/socket\.io\/\?/);
  assert.deepEqual(s.data, {});
  assert.equal(s.nsp, io.sockets);
  assert.equal(io.sockets.sockets.get(s.id), s);
});

test('rooms: join, leave and socket.rooms as a Set with the socket id', async (t) => {
  const io = serve(t);
  const conn = nextConnection(io);
  client(t, io);
  const s = await conn;
  assert.deepEqual(s.rooms, new Set([s.id]));
  s.join('a');
  s.join(['b', 'c']);
  assert.deepEqual(s.rooms, new Set([s.id, 'a', 'b', 'c']));
  s.leave('b');
  assert.deepEqual(s.rooms, new Set([s.id, 'a', 'c']));
  assert.ok(s.rooms instanceof Set);
});

test('on/once/off and onAny/offAny on the server socket', async (t) => {
  const io = serve(t);
  const conn = nextConnection(io);
  const c = client(t, io);
  const s = await conn;
  const seen = [];
  const onX = (v) => seen.push(['on', v]);
  s.on('x', onX);
  s.once('x', (v) => seen.push(['once', v]));
  const any = (ev, ...args) => seen.push(['any', ev, ...args]);
  s.onAny(any);
  assert.deepEqual(s.listenersAny(), [any]);
  c.emit('x', 1);
  c.emit('x', 2);
  const done = once(s, 'end');
  c.emit('end');
  await done;
  s.off('x', onX);
  s.offAny(any);
  const done2 = once(s, 'end');
  c.emit('x', 3);
  c.emit('end');
  await done2;
  assert.deepEqual(seen, [['any', 'x', 1], ['on', 1], ['once', 1], ['any', 'x', 2], ['on', 2], ['any', 'end']]);
});

test('onAny sees events that socket.use middleware rejects; their listeners do not run', async (t) => {
  // socket.io calls the catch-all listeners before the packet middleware (Socket#onevent).
  const io = serve(t);
  const conn = nextConnection(io);
  const c = client(t, io);
  const s = await conn;
  const seen = [];
  s.use(([event], next) => (event === 'bad' ? next(new Error(`no ${event}`)) : next()));
  s.onAny((ev, ...args) => seen.push(['any', ev, ...args]));
  s.on('bad', (v) => seen.push(['on', 'bad', v]));
  s.on('good', (v) => seen.push(['on', 'good', v]));
  s.on('error', (err) => seen.push(['error', err.message]));
  const done = once(s, 'end');
  c.emit('bad', 1);
  c.emit('good', 2);
  c.emit('end');
  await done;
  assert.deepEqual(seen, [['any', 'bad', 1], ['error', 'no bad'], ['any', 'good', 2], ['on', 'good', 2], ['any', 'end']]);
});

test('broadcast: io.emit, to/in, except, socket.broadcast, socket.to, socket.except', async (t) => {
  const io = serve(t);
  const conns = collect(io, 'connection', 3);
  const cs = [client(t, io), client(t, io), client(t, io)];
  await Promise.all(cs.map(connected));
  const ss = (await conns).map(([s]) => s);
  const byClient = cs.map((c) => ss.find((s) => s.id === c.id));
  const [s0, s1, s2] = byClient;
  s0.join('red');
  s1.join(['red', 'blue']);
  s2.join('blue');
  const log = [];
  cs.forEach((c, i) => c.onAny((ev, arg) => log.push(`${i}:${ev}:${arg}`)));
  io.emit('all', 1);
  io.to('red').emit('red', 2);
  io.in('blue').emit('blue', 3);
  io.to('red').except('blue').emit('red-not-blue', 4);
  io.except('red').emit('not-red', 5);
  s0.broadcast.emit('bcast', 6);
  s0.to('red').emit('s0-to-red', 7);
  s1.except('blue').emit('s1-except-blue', 8);
  io.to(s2.id).emit('direct', 9);
  io.to('red').to('blue').emit('union', 10);
  io.emit('end', 0);
  await Promise.all(cs.map((c) => once(c, 'end')));
  const expected = [
    '0:all:1', '1:all:1', '2:all:1',
    '0:red:2', '1:red:2',
    '1:blue:3', '2:blue:3',
    '0:red-not-blue:4',
    '2:not-red:5',
    '1:bcast:6', '2:bcast:6',
    '1:s0-to-red:7',
    '0:s1-except-blue:8',
    '2:direct:9',
    '0:union:10', '1:union:10', '2:union:10',
    '0:end:0', '1:end:0', '2:end:0',
  ];
  assert.deepEqual(log.sort(), expected.sort());
});

test('fetchSockets, socketsJoin, socketsLeave, disconnectSockets', async (t) => {
  const io = serve(t);
  const conns = collect(io, 'connection', 3);
  const cs = [client(t, io), client(t, io), client(t, io)];
  await Promise.all(cs.map(connected));
  const byId = new Map((await conns).map(([s]) => [s.id, s]));
  const ss = cs.map((c) => byId.get(c.id)); // ss[i] is the server side of cs[i]
  ss[0].join('vip');
  ss[1].join('vip');
  const vip = await io.in('vip').fetchSockets();
  assert.deepEqual(vip.map((s) => s.id).sort(), [ss[0].id, ss[1].id].sort());
  assert.ok(vip.every((s) => s instanceof roomcast.Socket));
  assert.equal((await io.fetchSockets()).length, 3);
  io.in('vip').socketsJoin('gold');
  assert.ok(ss[0].rooms.has('gold') && ss[1].rooms.has('gold') && !ss[2].rooms.has('gold'));
  io.socketsLeave('vip');
  assert.ok(!ss[0].rooms.has('vip') && !ss[1].rooms.has('vip'));
  const gone = Promise.all([once(cs[0], 'disconnect'), once(cs[1], 'disconnect')]);
  io.in('gold').disconnectSockets();
  assert.deepEqual((await gone).map(([reason]) => reason), ['io server disconnect', 'io server disconnect']);
  assert.ok(cs[2].connected);
});

test('volatile emits reach an idle client (they are dropped only when its transport is busy)', async (t) => {
  const io = serve(t);
  const conn = nextConnection(io);
  const c = client(t, io);
  const s = await conn;
  s.on('sync', (ack) => ack());
  await c.emitWithAck('sync'); // the connection is idle now
  const first = once(c, 'v');
  s.volatile.emit('v', 'socket');
  assert.deepEqual(await first, ['socket']);
  await c.emitWithAck('sync');
  const second = once(c, 'v');
  io.volatile.emit('v', 'all');
  assert.deepEqual(await second, ['all']);
});

test('binary: Buffer, ArrayBuffer and typed arrays travel as attachments both ways', async (t) => {
  const io = serve(t);
  const conn = nextConnection(io);
  const c = client(t, io);
  const s = await conn;
  const fromClient = once(s, 'up');
  c.emit('up', { name: 'file', data: Buffer.from([1, 2, 3]) }, new Uint8Array([4, 5]).buffer, 'text');
  const [obj, ab, text] = await fromClient;
  assert.ok(Buffer.isBuffer(obj.data));
  assert.deepEqual([...obj.data], [1, 2, 3]);
  assert.equal(obj.name, 'file');
  assert.ok(Buffer.isBuffer(ab));
  assert.deepEqual([...ab], [4, 5]);
  assert.equal(text, 'text');

  const toClient = once(c, 'down');
  const u16 = new Uint16Array([0x0102]);
  s.emit('down', [Buffer.from('abc'), { deep: new Uint8Array([9]).buffer }], u16, null);
  const [arr, view, nul] = await toClient;
  assert.equal(Buffer.from(arr[0]).toString(), 'abc');
  assert.deepEqual([...new Uint8Array(arr[1].deep)], [9]);
  assert.equal(Buffer.from(view).length, 2);
  assert.equal(nul, null);

  s.on('echo-bin', (b, ack) => ack(Buffer.concat([b, Buffer.from([0xff])])));
  const reply = await c.emitWithAck('echo-bin', Buffer.from([7]));
  assert.deepEqual([...Buffer.from(reply)], [7, 0xff]);
});

test('options: path, cors, serveStatic and the client bundle', async (t) => {
  const clientDir = path.join(repo, 'tests', 'node', 'node_modules', 'socket.io-client', 'dist');
  const io = serve(t, { path: '/rt', cors: { origin: 'http://example.com', credentials: true }, serveStatic: __dirname, clientDir });
  io.on('connection', (s) => s.emit('hello'));
  const c = client(t, io, '/', { path: '/rt' });
  await once(c, 'hello');
  const get = (p, headers = {}) =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: io.port, path: p, headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      }).on('error', reject);
    });
  const hs = await get('/rt/?EIO=4&transport=polling', { origin: 'http://example.com' });
  assert.equal(hs.status, 200);
  assert.equal(hs.headers['access-control-allow-origin'], 'http://example.com');
  assert.equal(hs.headers['access-control-allow-credentials'], 'true');
  const file = await get('/helpers.js');
  assert.equal(file.status, 200);
  assert.match(file.body, /Shared test helpers/);
  const bundle = await get('/rt/socket.io.min.js');
  assert.equal(bundle.status, 200);
  assert.ok(bundle.body.length > 10000);
});

test('polling transport works end to end', async (t) => {
  const io = serve(t);
  io.on('connection', (s) => s.on('ping', (n, ack) => ack(n + 1)));
  const c = client(t, io, '/', { transports: ['polling'] });
  await connected(c);
  assert.equal(await c.emitWithAck('ping', 41), 42);
});
