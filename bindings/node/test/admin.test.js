'use strict';
// instrument(io, options) from 'roomcast': the Socket.IO admin UI on the Node binding.
// examples/node/chat.js (instrument before listen) passes the dashboard checks every host
// passes (tests/node/admin/dashboard.mjs: the real socket.io-client driving /admin as
// @socket.io/admin-ui's dashboard does); instrument on a listening server works at once;
// every option is honoured or refused by name.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { roomcast, serve, client, once, repo } = require('./helpers');

const dashboardModule = path.join(repo, 'tests', 'node', 'admin', 'dashboard.mjs');

function nodePath() {
  if (process.env.NODE_PATH) return process.env.NODE_PATH;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-np-'));
  fs.symlinkSync(path.join(__dirname, '..'), path.join(dir, 'roomcast'));
  return dir;
}

describe('examples/node/chat.js with ADMIN_UI_PASSWORD (instrument before listen)', async () => {
  const { dashboardSuite, PASSWORD_HASH } = await import(dashboardModule);
  let proc;
  let url;
  before(async () => {
    proc = spawn(process.execPath, [path.join(repo, 'examples', 'node', 'chat.js')], {
      env: { ...process.env, PORT: '0', NODE_PATH: nodePath(), ADMIN_UI_PASSWORD: PASSWORD_HASH },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise((resolve, reject) => {
      proc.on('exit', (code) => reject(new Error(`chat.js exited with ${code}`)));
      proc.stdout.once('data', (d) => {
        const m = /listening on http:\/\/localhost:(\d+)/.exec(String(d));
        if (m) resolve(Number(m[1]));
        else reject(new Error(`unexpected output: ${d}`));
      });
    });
    url = `http://127.0.0.1:${port}`;
  });
  after(() => proc && proc.kill('SIGKILL'));
  dashboardSuite(() => ({ url }));
});

test('instrument on a listening server: the dashboard lists a connected socket, the host never sees /admin', async (t) => {
  const { dashboard, PASSWORD, PASSWORD_HASH } = await import(dashboardModule);
  const io = serve(t);
  const seen = [];
  io.of('/').on('connection', (s) => seen.push(s.nsp.name));
  const c = client(t, io);
  await once(c, 'connect');
  roomcast.instrument(io, { auth: { type: 'basic', username: 'ops', password: PASSWORD_HASH }, serverId: 'live' });
  const url = `http://127.0.0.1:${io.port}`;
  await assert.rejects(dashboard(url, { username: 'admin', password: PASSWORD }), /invalid credentials/);
  const admin = await dashboard(url, { username: 'ops', password: PASSWORD });
  try {
    const [all] = await admin.log.next('all_sockets');
    assert.ok(all.some((s) => s.id === c.id && s.nsp === '/'), JSON.stringify(all));
    const [stats] = await admin.log.next('server_stats');
    assert.equal(stats.serverId, 'live');
    assert.deepEqual(seen, ['/'], 'only the main namespace reached the host');
    assert.throws(() => roomcast.instrument(io, { auth: false }), /already on/);
  } finally {
    admin.socket.close();
  }
});

test('instrument options are checked by name', async (t) => {
  const io = new roomcast.Server({ host: '127.0.0.1' });
  const hash = '$2a$10$LN0CY/HjZaFrQrece7wEg.aJLCu.9p4ZDOv1G4VjTw8cAxplT3z1S';
  assert.throws(() => roomcast.instrument(io, {}), /`auth` option must be specified/);
  assert.throws(() => roomcast.instrument(io, { auth: { type: 'digest' } }), /invalid `auth` option/);
  assert.throws(() => roomcast.instrument(io, { auth: { type: 'basic', username: 'a', password: 'plain' } }), /admin_ui_password/);
  assert.throws(() => roomcast.instrument(io, { auth: false, mode: 'debug' }), /mode/);
  assert.throws(() => roomcast.instrument(io, { auth: false, namespaceName: '/' }), /admin_ui_namespace/);
  assert.throws(() => roomcast.instrument(io, { auth: false, store: {} }), /store is not supported/);
  assert.throws(() => roomcast.instrument(io, { auth: false, colour: 'red' }), /option colour is not supported/);
  assert.throws(() => roomcast.instrument({}, { auth: false }), /roomcast Server/);
  // A good call before listen: part of the server's options.
  roomcast.instrument(io, { auth: { type: 'basic', username: 'a', password: hash }, readonly: true, mode: 'production', namespaceName: '/ops' });
  io.listen(0);
  t.after(() => io.close());
  assert.throws(() => roomcast.instrument(io, { auth: false }), /already on/);
  // ...and honoured: namespace /ops, read-only, production.
  const { dashboard } = await import(dashboardModule);
  const admin = await dashboard(`http://127.0.0.1:${io.port}`, { username: 'a', password: 'changeit' }, '/ops');
  try {
    const [config] = await admin.log.next('config');
    assert.deepEqual(config.supportedFeatures, ['AGGREGATED_EVENTS']);
  } finally {
    admin.socket.close();
  }
});
