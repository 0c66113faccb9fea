'use strict';
// new Server(httpServer) / io.attach / io.listen on the user's own server: a real express
// app and http.createServer(app) share one port with roomcast; the real socket.io-client
// connects over polling, over WebSocket, and with the polling -> WebSocket upgrade; the
// core opens no port of its own; express keeps every other path; https (TLS that Node
// terminates) works through the bridge.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { createRequire } = require('node:module');
const { ioc, roomcast, once, repo } = require('./helpers');

const testsRequire = createRequire(path.join(repo, 'tests', 'node', 'package.json'));
const express = testsRequire('express');
const clientDir = path.join(path.dirname(testsRequire.resolve('socket.io-client/package.json')), 'dist');

/** express + http.createServer(app) on a free port, with roomcast attached by `attach`. */
async function app(t, attach, opts = {}) {
  const ex = express();
  ex.get('/hello', (req, res) => res.send('hello from express'));
  const server = (opts.createServer || http.createServer)(ex);
  const io = attach(server, { clientDir, ...opts.io });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clients = [];
  t.after(() => {
    for (const c of clients) c.disconnect();
    return io.close();
  });
  const scheme = opts.createServer ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${server.address().port}`;
  const connect = (transports, extra = {}) => {
    const c = ioc(url, { forceNew: true, reconnection: false, transports, ...extra });
    clients.push(c);
    return c;
  };
  io.on('connection', (socket) => {
    socket.on('echo', (v, ack) => ack({ v, address: socket.handshake.address }));
  });
  return { ex, server, io, url, connect };
}

function get(url, options = {}) {
  const mod = url.startsWith('https') ? https : http;
  return new Promise((resolve, reject) => {
    mod.get(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

const attachments = {
  'new Server(httpServer, opts)': (srv, opts) => new roomcast.Server(srv, opts),
  'io.attach(httpServer)': (srv, opts) => new roomcast.Server(opts).attach(srv),
  'io.listen(httpServer)': (srv, opts) => new roomcast.Server(opts).listen(srv),
};

for (const [name, attach] of Object.entries(attachments)) {
  test(`${name}: express and socket.io share one port, over each transport`, async (t) => {
    const { io, url, connect, server } = await app(t, attach);
    // The core opened no listener of its own; the server's port is the http.Server's.
    assert.equal(io._native.port, 0);
    assert.equal(io.port, server.address().port);
    assert.deepEqual(io.address(), server.address());
    // express still answers its own routes, and 404s what it does not know.
    assert.equal((await get(`${url}/hello`)).body, 'hello from express');
    assert.equal((await get(`${url}/nope`)).status, 404);
    // The client bundle comes from the engine path, as socket.io's serveClient.
    const bundle = await get(`${url}/socket.io/socket.io.min.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.body, /io/);
    for (const transports of [['polling'], ['websocket']]) {
      const c = connect(transports);
      await once(c, 'connect');
      const [reply] = await Promise.all([c.emitWithAck('echo', transports[0])]);
      assert.equal(reply.v, transports[0]);
      // The peer address is the client's, through the bridge and the adopted socket alike.
      assert.match(reply.address, /127\.0\.0\.1$/);
      assert.equal(c.io.engine.transport.name, transports[0]);
      c.disconnect();
    }
  });
}

test('attached: the polling -> websocket upgrade, big payloads and binary both ways', async (t) => {
  const { io, connect } = await app(t, (s, o) => new roomcast.Server(s, o));
  // A polling client: a POST body larger than one chunk goes through the bridge intact.
  const p = connect(['polling']);
  await once(p, 'connect');
  const big = 'x'.repeat(200 * 1024);
  assert.equal((await p.emitWithAck('echo', big)).v.length, big.length);
  assert.deepEqual(Buffer.from((await p.emitWithAck('echo', Buffer.from([9, 8]))).v), Buffer.from([9, 8]));
  // The default client opens with polling, then upgrades through the adopted socket.
  const c = connect(['polling', 'websocket']);
  let first = null;
  c.io.on('open', () => { first = c.io.engine.transport.name; });
  await once(c, 'connect');
  assert.equal(first, 'polling');
  if (c.io.engine.transport.name !== 'websocket') await once(c.io.engine, 'upgrade');
  assert.equal(c.io.engine.transport.name, 'websocket');
  const bin = Buffer.from([1, 2, 3, 250]);
  const back = await c.emitWithAck('echo', bin);
  assert.deepEqual(Buffer.from(back.v), bin);
  assert.equal(io._attachStats.adopted >= 1, true, 'the upgrade was handed over as a descriptor');
  // Server -> client broadcast after the upgrade.
  const got = once(c, 'news');
  io.emit('news', 'all');
  assert.deepEqual(await got, ['all']);
});

test('attached: other upgrades stay with the application, close() closes the http server', async (t) => {
  const { server, io, url } = await app(t, (s, o) => new roomcast.Server(s, o));
  let seen = null;
  server.on('upgrade', (req, socket) => {
    if (req.url.startsWith('/other')) {
      seen = req.url;
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    }
  });
  const res = await new Promise((resolve) => {
    const req = http.request(`${url}/other`, { headers: { connection: 'Upgrade', upgrade: 'websocket' } });
    req.on('response', resolve);
    req.on('upgrade', resolve);
    req.end();
  });
  assert.equal(res.statusCode, 400);
  assert.equal(seen, '/other');
  const closed = once(server, 'close');
  await io.close();
  await closed;
  assert.equal(server.listening, false);
});

test('attached: a port number still means roomcast\'s own listener; bad arguments throw', async (t) => {
  const io = new roomcast.Server({ host: '127.0.0.1' }).attach(0);
  t.after(() => io.close());
  assert.notEqual(io._native.port, 0);
  assert.throws(() => new roomcast.Server({}).attach('not a port'), /port number or an http\.Server/);
  // TLS is the http server's own when attached: the option is refused, named.
  assert.throws(
    () => new roomcast.Server(http.createServer(), { tls: { cert: 'x', key: 'y' } }),
    (err) => err.code === 'ERR_INVALID_CONFIG' && /tls/.test(err.message),
  );
});

test('attached to an https.Server: WebSocket and polling through the bridge', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-attach-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = (s) => path.join(dir, s);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', f('key.pem'), '-out', f('cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const cert = fs.readFileSync(f('cert.pem'));
  const key = fs.readFileSync(f('key.pem'));
  const { io, connect } = await app(t, (s, o) => new roomcast.Server(s, o), {
    createServer: (handler) => https.createServer({ cert, key }, handler),
  });
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    const c = connect(transports, { ca: cert });
    await once(c, 'connect');
    assert.equal((await c.emitWithAck('echo', 'tls')).v, 'tls');
    if (transports.length === 2 && c.io.engine.transport.name !== 'websocket') await once(c.io.engine, 'upgrade');
    c.disconnect();
  }
  assert.equal(io._attachStats.adopted, 0);
  assert.equal(io._attachStats.bridged >= 2, true);
});
