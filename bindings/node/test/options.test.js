'use strict';
// Options reach the core by name; each refusal is an Error whose `code` says what it is.
const test = require('node:test');
const assert = require('node:assert/strict');
const { roomcast, serve, client, connected, once } = require('./helpers');

function refused(opts, pattern) {
  const io = new roomcast.Server({ host: '127.0.0.1', ...opts });
  let err;
  try {
    io.listen(0);
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'listen must throw');
  assert.equal(err.code, 'ERR_INVALID_CONFIG');
  assert.match(err.message, pattern);
}

test('unknown options, wrong types and invalid combinations are refused by name', () => {
  refused({ noSuchOption: 1 }, /noSuchOption/);
  refused({ maxBufferedFrames: 0 }, /max_buffered_frames/);
  refused({ maxAttachments: 'ten' }, /max_attachments/);
  refused({ transports: [] }, /allow_polling and allow_websocket/);
  refused({ path: '/a?b' }, /path/);
});

test('core options are honoured under their camelCase names', async (t) => {
  const io = serve(t, { maxAttachments: 0 });
  io.on('connection', (socket) => socket.on('bin', () => {}));
  const c = client(t, io);
  await connected(c);
  // 0 attachments allowed: a binary packet closes the connection ("parse error").
  c.emit('bin', Buffer.from([1, 2, 3]));
  const [reason] = await once(c, 'disconnect');
  assert.equal(reason, 'transport close');
});

test('commands on a gone socket fail with a code, not a message to match', async (t) => {
  const io = serve(t);
  const native = io._native;
  assert.throws(() => native.join('/', 'AAAAAAAAAAAAAAAAAAAA', ['r']), (e) => e.code === 'ERR_NO_SUCH_SOCKET');
  assert.throws(() => native.join('/nope', 'AAAAAAAAAAAAAAAAAAAA', ['r']), (e) => e.code === 'ERR_NO_SUCH_NAMESPACE');
  assert.throws(() => native.emit('/', [], [], false, 'x', '[1,', undefined), (e) => e.code === 'ERR_INVALID_ARGUMENT');
  assert.throws(() => native.accept(12345), (e) => e.code === 'ERR_NO_SUCH_REQUEST');
});
