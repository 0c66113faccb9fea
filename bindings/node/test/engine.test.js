'use strict';
// io.engine and socket.request: clientsCount follows the connections (own port and
// attached); socket.request has the handshake's method, url, headers, remote address and
// _query; io.engine.use and generateId take functions only (see engine-middleware.test.js).

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { ioc, roomcast, once, serve, client } = require('./helpers');

test('standalone port: socket.request has the handshake parts; clientsCount; use/generateId take functions', async (t) => {
  const io = serve(t);
  assert.equal(io.engine.clientsCount, 0);
  assert.throws(() => io.engine.use('session'), /io\.engine\.use takes a middleware function/);
  assert.throws(() => { io.engine.generateId = 'x'; }, /generateId must be a function/);
  assert.throws(() => new roomcast.Server({ generateId: 7 }).listen(0), /generateId must be a function/);
  const conn = once(io, 'connection');
  client(t, io, '/', { extraHeaders: { 'x-test': 'yes' } });
  const [socket] = await conn;
  assert.equal(socket.request.method, 'GET');
  assert.equal(socket.request.headers['x-test'], 'yes');
  assert.match(socket.request.url, /^\/socket\.io\/\?EIO=4/);
  assert.match(socket.request.connection.remoteAddress, /127\.0\.0\.1$/);
  assert.equal(socket.request._query.transport, 'websocket');
  assert.equal(io.engine.clientsCount, 1);
});

test('attached: clientsCount over both transports, socket.request', async (t) => {
  const httpServer = http.createServer((req, res) => res.end('app'));
  const io = new roomcast.Server(httpServer);
  t.after(() => io.close());
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  const seen = [];
  io.on('connection', (s) => seen.push(s.request));
  const a = ioc(url, { forceNew: true, reconnection: false, transports: ['websocket'] });
  const b = ioc(url, { forceNew: true, reconnection: false, transports: ['polling'] });
  t.after(() => { a.disconnect(); b.disconnect(); });
  await Promise.all([once(a, 'connect'), once(b, 'connect')]);
  assert.equal(io.engine.clientsCount, 2);
  assert.deepEqual(seen.map((r) => r._query.transport).sort(), ['polling', 'websocket']);
  a.disconnect();
  for (let i = 0; i < 200 && io.engine.clientsCount !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(io.engine.clientsCount, 1);
});
