'use strict';
// Logs from Node: setLogger receives core's records with their stable fields (sid, nsp,
// transport, reason) for real socket.io-clients, only when the filter lets them through
// (off by default); DEBUG=roomcast:* prints them to stderr as the `debug` module does.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { roomcast, serve, client, once } = require('./helpers');

async function until(pred, what) {
  const end = Date.now() + 10000;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not reached`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('setLogger: records with stable fields, only when the filter is on', async (t) => {
  delete process.env.ROOMCAST_LOG;
  delete process.env.RUST_LOG;
  roomcast.setLogFilter(null); // the environment's: off
  const records = [];
  roomcast.setLogger((r) => records.push(r));
  t.after(() => {
    roomcast.setLogFilter('off');
    roomcast.setLogger(null);
  });
  assert.throws(() => roomcast.setLogFilter('roomcast=loud'), /log filter/);
  assert.throws(() => roomcast.setLogger(42), TypeError);

  const io = serve(t);
  const quiet = client(t, io);
  await once(quiet, 'connect');
  quiet.disconnect();
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(records, []);

  roomcast.setLogFilter('debug');
  const c = client(t, io);
  await once(c, 'connect');
  const sid = c.id;
  c.disconnect();
  const gone = await until(
    () => records.find((r) => r.message === 'socket disconnected' && r.fields.sid === sid),
    'the disconnect record',
  );
  assert.equal(gone.target, 'roomcast::socket');
  assert.equal(gone.level, 'debug');
  assert.equal(gone.fields.nsp, '/');
  assert.equal(gone.fields.reason, 'client namespace disconnect');
  const connected = records.find((r) => r.message === 'socket connected' && r.fields.sid === sid);
  assert.ok(connected, 'a connect record');
  assert.equal(connected.fields.transport, 'websocket');
  assert.ok(
    records.some((r) => r.target === 'roomcast::engine' && r.message === 'connection opened' && r.fields.sid === connected.fields.conn),
    'the engine session record',
  );

  roomcast.setLogFilter('off');
  const n = records.length;
  const later = client(t, io);
  await once(later, 'connect');
  later.disconnect();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(records.length, n);
});

const CHILD = `
const roomcast = require(process.argv[1]);
const { io: ioc } = require(process.argv[2]);
const io = new roomcast.Server({ host: '127.0.0.1' });
io.listen(0);
const c = ioc('http://127.0.0.1:' + io.port, { transports: ['websocket'], reconnection: false });
c.on('connect', () => { c.disconnect(); setTimeout(() => io.close(), 300); });
`;

test('DEBUG=roomcast:socket prints debug-style lines to stderr and lets the process exit', async () => {
  // The package the helpers loaded (the installed one under scripts/test-node-binding.sh).
  let pkg;
  try {
    pkg = path.dirname(require.resolve('roomcast/package.json'));
  } catch {
    pkg = path.join(__dirname, '..');
  }
  const clientPkg = path.join(__dirname, '..', '..', '..', 'tests', 'node', 'node_modules', 'socket.io-client');
  const env = { ...process.env, DEBUG: 'roomcast:*,-roomcast:engine' };
  delete env.ROOMCAST_LOG;
  delete env.RUST_LOG;
  const child = spawn(process.execPath, ['-e', CHILD, pkg, clientPkg], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^\d{4}-\d\d-\d\dT\S+ roomcast:socket debug socket connected sid=\S+ nsp=\/ conn=\S+ transport=websocket/m);
  assert.match(stderr, /roomcast:socket debug socket disconnected sid=\S+ nsp=\/ reason="client namespace disconnect"/);
  assert.match(stderr, /roomcast:server info stopping/);
  assert.doesNotMatch(stderr, /roomcast:engine/);
});
