'use strict';
// examples/node/chat.js against the chat contract, with three real clients.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');
const { ioc, once, repo } = require('./helpers');

/** A NODE_PATH where require('roomcast') finds a package: the installed one, else this checkout. */
function nodePath() {
  if (process.env.NODE_PATH) return process.env.NODE_PATH;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-np-'));
  fs.symlinkSync(path.join(__dirname, '..'), path.join(dir, 'roomcast'));
  return dir;
}

function startChat(t) {
  const proc = spawn(process.execPath, [path.join(repo, 'examples', 'node', 'chat.js')], {
    env: { ...process.env, PORT: '0', NODE_PATH: nodePath() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => proc.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => reject(new Error(`chat.js exited with ${code}`)));
    proc.stdout.once('data', (d) => {
      const m = /listening on http:\/\/localhost:(\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
      else reject(new Error(`unexpected output: ${d}`));
    });
  });
}

/** A client that records every event, in order. */
function join(t, port) {
  const socket = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false });
  t.after(() => socket.disconnect());
  const seen = [];
  socket.onAny((event, ...args) => seen.push([event, ...args]));
  return { socket, seen };
}

const until = (pred) =>
  new Promise((resolve) => {
    const tick = () => (pred() ? resolve() : setTimeout(tick, 10));
    tick();
  });

test('chat.js serves the page and the client bundle and keeps the chat contract', async (t) => {
  const port = await startChat(t);
  const get = (p) =>
    new Promise((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: p }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject),
    );
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.match(page.body, /socket\.io\.min\.js/);
  assert.equal((await get('/socket.io/socket.io.min.js')).status, 200);

  const a = join(t, port);
  const [history0] = await once(a.socket, 'allMessage');
  assert.deepEqual(history0, []);
  a.socket.emit('user-name', 'ann');
  a.socket.emit('sendMessage', { name: 'ann', message: 'first' });
  await until(() => a.seen.some(([e]) => e === 'newMessage'));

  const b = join(t, port);
  assert.deepEqual((await once(b.socket, 'allMessage'))[0], [{ name: 'ann', message: 'first' }]);
  const c = join(t, port);
  await once(c.socket, 'allMessage');
  await until(() => a.seen.filter(([e, n]) => e === 'online' && n === 3).length === 1);

  b.socket.emit('user-name', 'bob');
  await until(() => a.seen.some(([e, m]) => e === 'globalMsg' && m === 'bob joined'));
  await until(() => c.seen.some(([e, m]) => e === 'globalMsg' && m === 'bob joined'));
  a.socket.emit('talk', 'psst');
  await until(() => b.seen.some(([e]) => e === 'talk') && c.seen.some(([e]) => e === 'talk'));
  b.socket.emit('sendMessage', { name: 'bob', message: 'hi all' });
  for (const x of [a, b, c]) await until(() => x.seen.some(([e, m]) => e === 'newMessage' && m.message === 'hi all'));
  b.socket.disconnect();
  await until(() => a.seen.some(([e, m]) => e === 'globalMsg' && m === 'bob left'));
  await until(() => c.seen.some(([e, m]) => e === 'online' && m === 2));

  // What nobody should have seen: their own talk or their own "joined".
  assert.ok(!a.seen.some(([e]) => e === 'talk'));
  assert.ok(!b.seen.some(([e, m]) => e === 'globalMsg' && m === 'bob joined'));
  // The chat turns connection state recovery on: each event ends with its offset.
  const talks = c.seen.filter(([e]) => e === 'talk');
  assert.equal(talks.length, 1);
  assert.deepEqual(talks[0].slice(0, 2), ['talk', 'psst']);
  assert.equal(typeof talks[0][2], 'string');
  assert.equal(talks[0].length, 3);
  assert.deepEqual(a.seen.filter(([e]) => e === 'online').map(([, n]) => n), [1, 2, 3, 2]);
});
