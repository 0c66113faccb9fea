'use strict';
// io.engine's connection_error (engine.io's codes, messages, contexts and req) and
// socket.conn (id, transport.name live, the upgrade event, readyState, close()), with the
// real socket.io-client; plain WebSocket routes (io.ws) on the user's own http server,
// with the real ws client through an express app.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const { ioc, roomcast, once, serve, repo } = require('./helpers');

const testsRequire = createRequire(path.join(repo, 'tests', 'node', 'package.json'));
const express = testsRequire('express');
const scenario = import(pathToFileURL(path.join(repo, 'tests', 'node', 'plainws-scenario.mjs')).href);

/** One raw request: resolves { status, body }. */
function request(port, method, url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("connection_error: engine.io's codes, messages and contexts, with the request", async (t) => {
  const io = serve(t, { allowRequest: (req, cb) => cb(req.headers['x-no'] ? 'go away' : null, !req.headers['x-no']) });
  const errors = [];
  io.engine.on('connection_error', (e) => errors.push(e));
  const cases = [
    ['GET', '/socket.io/?EIO=4&transport=carrier', {}, 0, 'Transport unknown', { transport: 'carrier' }],
    ['GET', '/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA', {}, 1, 'Session ID unknown', { sid: 'AAAAAAAAAAAAAAAAAAAA' }],
    ['PUT', '/socket.io/?EIO=4&transport=polling', {}, 2, 'Bad handshake method', { method: 'PUT' }],
    ['GET', '/socket.io/?EIO=4&transport=websocket', {}, 3, 'Bad request', { name: 'TRANSPORT_HANDSHAKE_ERROR' }],
    ['GET', '/socket.io/?EIO=4&transport=polling', { 'x-no': '1' }, 4, 'Forbidden', { message: 'go away' }],
    ['GET', '/socket.io/?EIO=3&transport=polling', {}, 5, 'Unsupported protocol version', { protocol: 3 }],
  ];
  for (const [method, url, headers, code, message, context] of cases) {
    const res = await request(io.port, method, url, { 'x-case': String(code), ...headers });
    assert.equal(res.status, code === 4 ? 403 : 400, url);
    for (let i = 0; i < 250 && errors.length <= code; i++) await new Promise((r) => setTimeout(r, 20));
    const e = errors[code];
    assert.ok(e, `no connection_error for ${url}`);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    assert.deepEqual(e.context, context);
    assert.equal(e.req.method, method);
    assert.equal(e.req.url, url);
    assert.equal(e.req.headers['x-case'], String(code));
    assert.match(e.req.connection.remoteAddress, /127\.0\.0\.1$/);
  }
  assert.equal(errors.length, cases.length);
  // Once the last listener is gone, the core stops reporting (and nothing is emitted).
  io.engine.removeAllListeners('connection_error');
  const later = [];
  io.engine.on('something_else', () => later.push(1));
  await request(io.port, 'GET', '/socket.io/?EIO=4&transport=carrier');
  assert.equal(later.length, 0);
});

test('socket.conn: id, transport.name while polling then websocket, the upgrade event, readyState, close()', async (t) => {
  const io = serve(t);
  const admin = io.of('/admin');
  const conn = once(io, 'connection');
  const client = ioc(`http://127.0.0.1:${io.port}`, { forceNew: true, reconnection: false });
  io.testClients.push(client);
  const [socket] = await conn;
  await once(client, 'connect');
  assert.equal(socket.conn.id, client.io.engine.id);
  assert.equal(socket.conn.request, socket.request);
  assert.equal(socket.conn.protocol, 4);
  assert.equal(socket.conn.readyState, 'open');
  let upgradedTo = null;
  const upgraded = new Promise((resolve) => socket.conn.once('upgrade', (transport) => {
    upgradedTo = transport.name;
    resolve();
  }));
  // The client starts on polling and upgrades: the event comes (reported by the core
  // once listened for, or at once when the upgrade was over before the listener came).
  assert.equal(socket.request._query.transport, 'polling');
  await upgraded;
  assert.equal(upgradedTo, 'websocket');
  assert.equal(socket.conn.transport.name, 'websocket');
  assert.equal(socket.conn.upgraded, true);
  // A second namespace on the same connection shares it.
  const adminConn = once(admin, 'connection');
  const adminClient = client.io.socket('/admin');
  const [adminSocket] = await adminConn;
  assert.equal(adminSocket.conn, socket.conn);
  // close(): every socket on it disconnects with "forced close".
  const gone = [once(socket, 'disconnect'), once(adminSocket, 'disconnect'), once(socket.conn, 'close')];
  const clientGone = once(client, 'disconnect');
  socket.conn.close();
  const [[r1], [r2], [r3]] = await Promise.all(gone);
  assert.deepEqual([r1, r2, r3], ['forced close', 'forced close', 'forced close']);
  await clientGone;
  assert.equal(socket.conn.readyState, 'closed');
  adminClient.disconnect();
});

test('a websocket-only client: socket.conn.transport.name is websocket from the start', async (t) => {
  const io = serve(t);
  const conn = once(io, 'connection');
  require('./helpers').client(t, io);
  const [socket] = await conn;
  assert.equal(socket.conn.transport.name, 'websocket');
  assert.equal(socket.conn.upgraded, true);
});

test('io.ws routes on the user\'s http server (attached): ws and socket.io clients share rooms, express keeps its routes', async (t) => {
  const { plainClient } = await scenario;
  const app = express();
  app.get('/hello', (req, res) => res.send('hello from express'));
  const server = http.createServer(app);
  const io = new roomcast.Server();
  const route = io.ws('/ws/chat', { rooms: ['lobby'] });
  const said = [];
  route.on('connection', (ws, req) => {
    said.push(['open', req.url]);
    ws.on('message', (m) => io.to('lobby').emit('said', m));
  });
  io.attach(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => io.close());
  const { port } = server.address();
  assert.equal((await request(port, 'GET', '/hello')).body, 'hello from express');
  const ws = await plainClient(`ws://127.0.0.1:${port}/ws/chat?me=1`);
  const sock = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false });
  t.after(() => sock.disconnect());
  io.on('connection', (s) => s.join('lobby'));
  await once(sock, 'connect');
  const heard = once(sock, 'said');
  ws.ws.send('hi all');
  assert.equal(await ws.next(), '["said","hi all"]');
  assert.deepEqual(await heard, ['hi all']);
  assert.deepEqual(said, [['open', '/ws/chat?me=1']]);
  ws.ws.close();
});

test('initial_headers: listeners set headers of the handshake response; headers and connection are refused by name', async (t) => {
  const io = serve(t);
  const seen = [];
  io.engine.on('initial_headers', (headers, req) => {
    seen.push(req.url);
    headers['x-served-by'] = 'node-a';
    headers['set-cookie'] = ['sticky=a; Path=/', 'other=1; Path=/'];
  });
  const res = await request(io.port, 'GET', '/socket.io/?EIO=4&transport=polling&k=1');
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-served-by'], 'node-a');
  assert.deepEqual(res.headers['set-cookie'], ['sticky=a; Path=/', 'other=1; Path=/']);
  assert.deepEqual(seen, ['/socket.io/?EIO=4&transport=polling&k=1']);
  // The client still connects (over WebSocket directly too), and the listener saw it.
  const socket = ioc(`http://127.0.0.1:${io.port}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  t.after(() => socket.disconnect());
  await once(socket, 'connect');
  assert.equal(seen.length, 2);
  assert.throws(() => io.engine.on('headers', () => {}), /does not emit "headers".*initial_headers/);
  assert.throws(() => io.engine.on('connection', () => {}), /does not emit "connection"/);
  assert.equal(io.engine.listenerCount('headers'), 0);
});
