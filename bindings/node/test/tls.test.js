'use strict';
// TLS from Node: new Server({ tls: { cert, key } }) with a throwaway CA made by the openssl
// CLI at test time; the real socket.io-client, given that CA, chats over polling and
// WebSocket; setSecureContext swaps the certificate; bad options throw naming them.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { ioc, roomcast, serve, once } = require('./helpers');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-node-tls-'));
process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** A CA and a localhost certificate it signs: { ca, cert (chain), key } as PEM text. */
function makeCerts(name) {
  const f = (s) => path.join(dir, `${name}-${s}`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (...a) => execFileSync('openssl', a, { stdio: ['ignore', 'ignore', 'pipe'] });
  run('req', '-x509', ...ec, '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '2',
    '-subj', `/CN=roomcast node test CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE');
  run('req', ...ec, '-keyout', f('key.pem'), '-out', f('csr.pem'), '-subj', '/CN=localhost');
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('x509', '-req', '-in', f('csr.pem'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'),
    '-CAcreateserial', '-out', f('leaf.pem'), '-days', '2', '-extfile', f('ext.cnf'));
  const ca = fs.readFileSync(f('ca.pem'), 'utf8');
  return { ca, cert: fs.readFileSync(f('leaf.pem'), 'utf8') + ca, key: fs.readFileSync(f('key.pem')) };
}

const one = makeCerts('one');
const two = makeCerts('two');

function tlsClient(io, ca, transport) {
  const socket = ioc(`https://localhost:${io.port}`, { forceNew: true, reconnection: false, transports: [transport], ca });
  io.testClients.push(socket);
  return socket;
}

function outcome(socket) {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (err) => resolve(`refused: ${err.message}`));
  });
}

for (const transport of ['polling', 'websocket']) {
  test(`tls over ${transport}: chat, refused CA, setSecureContext`, async (t) => {
    const io = serve(t, { tls: { cert: one.cert, key: one.key } });
    io.on('connection', (socket) => socket.on('echo', (v, ack) => ack(v)));
    const a = tlsClient(io, one.ca, transport);
    assert.equal(await outcome(a), 'connected');
    assert.equal(a.io.engine.transport.name, transport);
    assert.deepEqual(await a.timeout(10000).emitWithAck('echo', { over: 'tls' }), { over: 'tls' });
    const news = once(a, 'news');
    io.emit('news', 'hello');
    assert.deepEqual(await news, ['hello']);
    assert.match(await outcome(tlsClient(io, two.ca, transport)), /^refused/);
    // A bad certificate throws and the current one keeps serving.
    assert.throws(() => io.setSecureContext({ cert: 'nope', key: one.key }), /tls cert/);
    assert.equal(await outcome(tlsClient(io, one.ca, transport)), 'connected');
    io.setSecureContext({ cert: two.cert, key: two.key });
    const b = tlsClient(io, two.ca, transport);
    assert.equal(await outcome(b), 'connected');
    assert.match(await outcome(tlsClient(io, one.ca, transport)), /^refused/);
    // A WebSocket opened before the reload keeps its TLS session. (A polling client may
    // open a new TLS connection for any request; it then sees the new certificate, which
    // its CA here does not trust, unlike a real renewal from the same CA.)
    if (transport === 'websocket') assert.equal(await a.timeout(10000).emitWithAck('echo', 1), 1);
  });
}

test('tls options are checked', async (t) => {
  assert.throws(() => new roomcast.Server({ tls: { cert: one.cert } }).listen(0), /tls.key must be PEM/);
  assert.throws(() => new roomcast.Server({ tls: { cert: one.cert, key: one.key, ca: 'x' } }).listen(0), /tls.ca is not supported/);
  assert.throws(() => new roomcast.Server({ tls: { cert: 'garbage', key: one.key } }).listen(0),
    (e) => e.code === 'ERR_INVALID_CONFIG' && /tls cert/.test(e.message));
  // The core's own option names work too, and one without the other is refused.
  assert.throws(() => new roomcast.Server({ tlsCert: one.cert }).listen(0),
    (e) => e.code === 'ERR_INVALID_CONFIG' && /tls_cert and tls_key/.test(e.message));
  const core = serve(t, { tlsCert: one.cert, tlsKey: one.key.toString() });
  assert.equal(await outcome(tlsClient(core, one.ca, 'websocket')), 'connected');
  const plain = serve(t);
  assert.throws(() => plain.setSecureContext({ cert: one.cert, key: one.key }),
    (e) => e.code === 'ERR_INVALID_CONFIG' && /without tls/.test(e.message));
});

test('examples/node/chat.js serves https with TLS_CERT/TLS_KEY and reloads on SIGHUP', async (t) => {
  const { spawn } = require('node:child_process');
  const live = { cert: path.join(dir, 'live-cert.pem'), key: path.join(dir, 'live-key.pem') };
  fs.writeFileSync(live.cert, one.cert);
  fs.writeFileSync(live.key, one.key);
  let nodePath = process.env.NODE_PATH;
  if (!nodePath) {
    nodePath = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-np-'));
    fs.symlinkSync(path.join(__dirname, '..'), path.join(nodePath, 'roomcast'));
  }
  const { repo } = require('./helpers');
  const proc = spawn(process.execPath, [path.join(repo, 'examples', 'node', 'chat.js')], {
    env: { ...process.env, PORT: '0', NODE_PATH: nodePath, TLS_CERT: live.cert, TLS_KEY: live.key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => proc.kill('SIGKILL'));
  let out = '';
  let errOut = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { errOut += d; });
  const until = async (pred, what) => {
    const end = Date.now() + 10000;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`${what} not seen; stdout: ${out} stderr: ${errOut}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until(() => /listening on https:\/\/localhost:\d+/.test(out), 'https banner');
  const port = Number(/listening on https:\/\/localhost:(\d+)/.exec(out)[1]);
  const fake = { port, testClients: [] };
  t.after(() => { for (const c of fake.testClients) c.disconnect(); });
  const a = tlsClient(fake, one.ca, 'websocket');
  const b = tlsClient(fake, one.ca, 'polling');
  assert.deepEqual([await outcome(a), await outcome(b)], ['connected', 'connected']);
  const talk = once(b, 'talk');
  a.emit('talk', 'over https');
  assert.equal((await talk)[0], 'over https');
  fs.writeFileSync(live.cert, two.cert);
  fs.writeFileSync(live.key, two.key);
  proc.kill('SIGHUP');
  await until(() => out.includes('tls: certificate reloaded'), 'reload message');
  assert.equal(await outcome(tlsClient(fake, two.ca, 'websocket')), 'connected');
  assert.match(await outcome(tlsClient(fake, one.ca, 'websocket')), /^refused/);
});
