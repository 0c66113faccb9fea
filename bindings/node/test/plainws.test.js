'use strict';
// Plain WebSocket routes on the Node binding (`io.ws(path, opts)`, the `ws` module's
// shape), with the real `ws` client and socket.io-client: examples/node/chat.js (plain
// users in KPL beside Socket.IO users), examples/node/echo.js (the seed's echo server),
// and the API itself (verifyClient before the 101, close codes, rooms, option errors).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { pathToFileURL } = require('node:url');
const { ioc, once, repo, serve } = require('./helpers');

const scenario = import(pathToFileURL(path.join(repo, 'tests', 'node', 'plainws-scenario.mjs')).href);

/** A NODE_PATH where require('roomcast') finds a package: the installed one, else this checkout. */
function nodePath() {
  if (process.env.NODE_PATH) return process.env.NODE_PATH;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-np-'));
  fs.symlinkSync(path.join(__dirname, '..'), path.join(dir, 'roomcast'));
  return dir;
}

/** Runs examples/node/<name>.js on a free port; resolves with the port. */
function startExample(t, name) {
  const proc = spawn(process.execPath, [path.join(repo, 'examples', 'node', `${name}.js`)], {
    env: { ...process.env, PORT: '0', NODE_PATH: nodePath() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => proc.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => reject(new Error(`${name}.js exited with ${code}`)));
    proc.stdout.once('data', (d) => {
      const m = /listening on http:\/\/localhost:(\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
      else reject(new Error(`unexpected output: ${d}`));
    });
  });
}

test('chat.js: ws clients and socket.io-client users chat in KPL', async (t) => {
  const port = await startExample(t, 'chat');
  const { plainChat } = await scenario;
  await plainChat(`http://127.0.0.1:${port}`);
});

test("echo.js: the seed's echo server answers ECHO: <message>", async (t) => {
  const port = await startExample(t, 'echo');
  const { plainClient } = await scenario;
  const c = await plainClient(`ws://127.0.0.1:${port}/test`);
  c.ws.send('Hello!');
  assert.equal(await c.next(), 'ECHO: Hello!');
  c.ws.close();
});

test('io.ws: verifyClient, cookies, rooms, json_array delivery, close codes', async (t) => {
  const { plainClient } = await scenario;
  const io = new (require('./helpers').roomcast.Server)({ host: '127.0.0.1' });
  const seen = [];
  const room = io.ws('/ws/room', {
    rooms: ['lobby'],
    verifyClient: (info, cb) => (info.req.cookies.name ? cb(true) : cb(false, 401, 'Who are you')),
  });
  room.on('connection', (ws, req) => {
    seen.push(['connection', req.cookies.name, [...ws.rooms].sort(), [ws.id, 'lobby'].sort()]);
    ws.on('message', (m, isBinary) => {
      seen.push(['message', m, isBinary]);
      if (m === 'bye') ws.close(4000, 'see you');
      else if (m === 'bad close') {
        try {
          ws.close(1005);
        } catch (err) {
          ws.send(err.code);
        }
      } else io.to('lobby').emit('said', m, 2);
    });
    ws.on('close', (code, reason) => seen.push(['close', code, reason]));
  });
  io.listen(0);
  t.after(() => io.close());
  const url = `ws://127.0.0.1:${io.port}/ws/room`;
  await assert.rejects(plainClient(url), (e) => e.status === 401);
  const c = await plainClient(url, { headers: { Cookie: 'name=yao' } });
  const sock = ioc(`http://127.0.0.1:${io.port}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  t.after(() => sock.disconnect());
  await once(sock, 'connect');
  c.ws.send('hello');
  // json_array: the whole emit as ["event", ...args].
  assert.equal(await c.next(), '["said","hello",2]');
  c.ws.send(Buffer.from([7]));
  // Binary arguments stay socket.io placeholders and follow as binary frames.
  assert.equal(await c.next(), '["said",{"_placeholder":true,"num":0},2]');
  assert.deepEqual(await c.next(), Buffer.from([7]));
  c.ws.send('bad close');
  assert.equal(await c.next(), 'ERR_INVALID_ARGUMENT');
  c.ws.send('bye');
  assert.deepEqual(await c.closed, { code: 4000, reason: 'see you' });
  // The host's view, in order.
  const until = Date.now() + 10_000;
  while (seen.length < 6 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const [connection, hello] = seen;
  assert.deepEqual(connection.slice(0, 2), ['connection', 'yao']);
  // In the route's room and its own from the start.
  assert.deepEqual(connection[2], connection[3]);
  assert.deepEqual(hello, ['message', 'hello', false]);
  assert.equal(seen[2][0], 'message');
  assert.deepEqual(Buffer.from(seen[2][1]), Buffer.from([7]));
  assert.equal(seen[2][2], true);
  assert.deepEqual(seen.at(-1), ['close', 4000, 'see you']);
});

test('io.ws: invalid route options are refused by name', async () => {
  const { Server } = require('./helpers').roomcast;
  const bad = (opts) => {
    const io = new Server({ host: '127.0.0.1' });
    io.ws('/ws/x', opts);
    try {
      io.listen(0);
      io.close();
      return null;
    } catch (err) {
      return err;
    }
  };
  for (const [opts, name] of [
    [{ delivery: 'xml' }, 'delivery'],
    [{ relayEvent: 'disconnect' }, 'relay_event'],
    [{ maxPayload: 0 }, 'max_message_size'],
    [{ pingInterval: 'soon' }, 'ping_interval'],
    [{ colour: 'blue' }, 'colour'],
  ]) {
    const err = bad(opts);
    assert.ok(err, `${JSON.stringify(opts)} was accepted`);
    assert.equal(err.code, 'ERR_INVALID_CONFIG');
    assert.match(err.message, new RegExp(name));
  }
  assert.throws(() => new Server().ws('ws/x'), /must be a string starting with "\/"/);
  const io = new Server({ host: '127.0.0.1' });
  io.listen(0);
  assert.throws(() => io.ws('/late'), /before listen/);
  await io.close();
});
