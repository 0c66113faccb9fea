'use strict';
// allowRequest as socket.io spells it: (req, callback(err, success)) runs for every
// handshake before any session exists; the core holds the request until it answers.
const test = require('node:test');
const assert = require('node:assert/strict');
const { roomcast, serve, client, connected, once } = require('./helpers');

const handshakeUrl = (io) => `http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`;

function echo(io) {
  io.on('connection', (socket) => socket.on('echo', (x, ack) => ack(x)));
}

test('a handshake without the header is refused with 403 {"code":4,"message":"Forbidden"}; with it, clients connect', async (t) => {
  const seen = [];
  const io = serve(t, {
    allowRequest: (req, callback) => {
      seen.push(req);
      callback(null, req.headers['x-token'] === 'let-me-in');
    },
  });
  echo(io);
  const res = await fetch(handshakeUrl(io));
  assert.equal(res.status, 403);
  assert.deepEqual(await res.json(), { code: 4, message: 'Forbidden' });

  for (const transports of [['polling'], ['websocket']]) {
    const refused = client(t, io, '/', { transports });
    await once(refused, 'connect_error');
    assert.equal(refused.connected, false);
  }
  for (const transports of [['polling', 'websocket'], ['websocket']]) {
    const ok = await connected(client(t, io, '/', { transports, extraHeaders: { 'x-token': 'let-me-in' } }));
    assert.equal(await ok.timeout(5000).emitWithAck('echo', 'in'), 'in');
  }
  const req = seen.at(-1);
  assert.equal(req.method, 'GET');
  assert.match(req.url, /^\/socket\.io\/\?EIO=4&transport=websocket/);
  assert.equal(req._query.EIO, '4');
  assert.equal(req.headers['x-token'], 'let-me-in');
  assert.equal(req.connection.remoteAddress, '127.0.0.1');
  assert.equal(req.socket.remoteAddress, '127.0.0.1');
});

test("the callback's error is the refusal's message, a later answer counts, and no answer refuses at allowRequestTimeout", async (t) => {
  const io = serve(t, {
    allowRequestTimeout: 300,
    allowRequest: (req, callback) => {
      const token = req.headers['x-token'];
      if (token === 'later') setTimeout(() => callback(null, true), 50);
      else if (token === 'twice') {
        callback(null, true);
        callback('ignored', false);
      } else if (token !== 'silent') callback('bad token', false);
    },
  });
  const answer = async (token) => {
    const res = await fetch(handshakeUrl(io), { headers: token ? { 'x-token': token } : {} });
    return [res.status, await res.text()];
  };
  assert.deepEqual(await answer(undefined), [403, '{"code":4,"message":"bad token"}']);
  const [later, body] = await answer('later');
  assert.equal(later, 200);
  assert.match(body, /^0\{"sid":/);
  assert.equal((await answer('twice'))[0], 200);
  assert.deepEqual(await answer('silent'), [403, '{"code":4,"message":"Forbidden"}']);
});

test('allowRequest must be a function', () => {
  const io = new roomcast.Server({ host: '127.0.0.1', allowRequest: 'yes' });
  assert.throws(() => io.listen(0), /allowRequest must be a function/);
});
