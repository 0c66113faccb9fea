'use strict';
// Options reach the core by name; each refusal is an Error whose `code` says what it is.
const test = require('node:test');
const assert = require('node:assert/strict');
const { roomcast, native, serve, client, connected, once, sleep, ioc } = require('./helpers');

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

function refusedType(opts, pattern) {
  assert.throws(() => new roomcast.Server({ host: '127.0.0.1', ...opts }).listen(0), (e) => e instanceof TypeError && pattern.test(e.message));
}

test('unknown options, wrong types and invalid combinations are refused by name', () => {
  refused({ noSuchOption: 1 }, /noSuchOption/);
  refused({ maxBufferedFrames: 0 }, /max_buffered_frames/);
  refused({ maxAttachments: 'ten' }, /max_attachments/);
  refused({ transports: [] }, /allow_polling and allow_websocket/);
  refused({ path: '/a?b' }, /path/);
  refusedType({ perMessageDeflate: { zlibDeflateOptions: { level: 1 } } }, /perMessageDeflate\.zlibDeflateOptions/);
  refusedType({ perMessageDeflate: { serverNoContextTakeover: false } }, /perMessageDeflate\.serverNoContextTakeover/);
  refusedType({ perMessageDeflate: { threshold: -1 } }, /perMessageDeflate\.threshold/);
  refusedType({ perMessageDeflate: 'yes' }, /perMessageDeflate/);
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

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
// A valid value of each kind, and what some options need beside them to be valid.
const SAMPLE = { bool: true, count: 3, duration: 1500, text: '/x', texts: ['*'] };
const HASH = '$2a$10$LN0CY/HjZaFrQrece7wEg.aJLCu.9p4ZDOv1G4VjTw8cAxplT3z1S';
const SPECIAL = {
  host: '127.0.0.1', port: 0, redis_url: 'redis://127.0.0.1:6379', redis_subscription_mode: 'dynamic', parser: 'msgpack',
  admin_ui_password: HASH, admin_ui_mode: 'production',
};
// The admin UI needs credentials, or auth said to be off.
const ADMIN = { adminUi: true, adminUiAuth: false };
const REDIS = { redisUrl: 'redis://127.0.0.1:6379' };
const NEEDS = {
  redis_key: REDIS,
  redis_request_timeout: REDIS,
  redis_specific_response_channel: REDIS,
  redis_streams: REDIS,
  redis_stream_max_len: { ...REDIS, redisStreams: true },
  redis_sharded: REDIS,
  redis_subscription_mode: { ...REDIS, redisSharded: true },
  per_message_deflate_threshold: { perMessageDeflate: true },
  recovery_skip_middlewares: { recoveryMaxDisconnectionDuration: 1000 },
  recovery_max_packets: { recoveryMaxDisconnectionDuration: 1000 },
  cors_credentials: { corsOrigins: '*' },
  tls_cert: { tlsKey: '/x' },
  tls_key: { tlsCert: '/x' },
  admin_ui: { adminUiAuth: false },
  admin_ui_namespace: ADMIN,
  admin_ui_auth: { adminUi: true, adminUiPassword: HASH },
  admin_ui_username: { adminUi: true, adminUiPassword: HASH },
  admin_ui_password: { adminUi: true },
  admin_ui_readonly: ADMIN,
  admin_ui_mode: ADMIN,
  admin_ui_server_id: ADMIN,
  admin_ui_stats_interval: ADMIN,
};
const WRONG = { bool: 'yes', count: 'ten', duration: '1s', text: 5, texts: 5 };

function throwsNaming(fn, name) {
  assert.throws(fn, (e) => e.code === 'ERR_INVALID_CONFIG' && e.message.includes(name), `${name} must be refused by name`);
}

test('every core option is settable under its camelCase name and checked by name', () => {
  const table = native.options();
  assert.ok(table.length >= 39, `${table.length} options`);
  for (const { name, kind } of table) {
    const key = camel(name);
    const value = name in SPECIAL ? SPECIAL[name] : SAMPLE[kind];
    native.checkOptions({ [key]: value, ...(NEEDS[name] || {}) });
    native.checkOptions({ [key]: null }); // null restores the default
    throwsNaming(() => native.checkOptions({ [key]: WRONG[kind] }), name);
    if (kind === 'count' || kind === 'duration') throwsNaming(() => native.checkOptions({ [key]: -1 }), name);
  }
});

test('the limits and timeouts are options, and 0 where it makes no sense is refused by name', () => {
  const names = new Set(native.options().map((o) => o.name));
  for (const n of ['max_buffered_bytes', 'write_timeout', 'header_timeout', 'body_timeout', 'max_pending_events',
    'max_pending_bytes', 'max_pending_events_total', 'max_pending_bytes_total', 'max_connections',
    'max_connections_per_ip', 'handshakes_per_sec', 'handshakes_per_sec_per_ip', 'max_name_length',
    'max_rooms_per_socket', 'cleanup_empty_child_namespaces']) {
    assert.ok(names.has(n), n);
  }
  refused({ maxConnections: 0 }, /max_connections/);
  refused({ writeTimeout: 0 }, /write_timeout/);
  refused({ maxRoomsPerSocket: 0 }, /max_rooms_per_socket/);
  refused({ headerTimeout: 400 * 24 * 3600 * 1000 }, /header_timeout/);
  refused({ cleanupEmptyChildNamespaces: 'yes' }, /cleanup_empty_child_namespaces/);
});

test('maxConnections: a second client is refused while the first holds the only connection', async (t) => {
  const io = serve(t, { maxConnections: 1 });
  const first = await connected(client(t, io));
  const second = client(t, io);
  await once(second, 'connect_error');
  assert.equal(second.connected, false);
  first.disconnect();
  // Its slot is free once the first connection is closed (which takes a moment).
  const deadline = Date.now() + 10_000;
  for (;;) {
    const third = client(t, io);
    const [outcome] = await Promise.race([once(third, 'connect').then(() => ['ok']), once(third, 'connect_error')]);
    if (outcome === 'ok') break;
    assert.ok(Date.now() < deadline, 'a client connects once the first left');
    await sleep(100);
  }
});

test('maxRoomsPerSocket: the join past it throws ERR_INVALID_ARGUMENT and joins nothing', async (t) => {
  const io = serve(t, { maxRoomsPerSocket: 3 });
  const seen = new Promise((resolve) => {
    io.on('connection', (socket) => {
      socket.join(['a', 'b']); // with its own room: 3
      let error;
      try {
        socket.join('c');
      } catch (e) {
        error = e;
      }
      resolve({ error, rooms: [...socket.rooms] });
    });
  });
  await connected(client(t, io));
  const { error, rooms } = await seen;
  assert.equal(error && error.code, 'ERR_INVALID_ARGUMENT');
  assert.match(error.message, /max_rooms_per_socket/);
  assert.equal(rooms.length, 3);
  assert.ok(!rooms.includes('c'));
});

test('cleanupEmptyChildNamespaces: a dynamic namespace goes once its last socket leaves', async (t) => {
  for (const cleanup of [true, false]) {
    const io = serve(t, { cleanupEmptyChildNamespaces: cleanup });
    const parent = io.of(/^\/room-\d+$/);
    const gone = new Promise((resolve) => parent.on('connection', (s) => s.on('disconnect', resolve)));
    const c = await connected(client(t, io, '/room-1'));
    assert.ok(io._nsps.has('/room-1'));
    assert.equal(parent.children.size, 1);
    c.disconnect();
    await gone;
    assert.equal(io._nsps.has('/room-1'), !cleanup);
    assert.equal(parent.children.size, cleanup ? 0 : 1);
    // Either way, a new client can connect to it again.
    const again = await connected(client(t, io, '/room-1'));
    assert.ok(again.connected);
  }
});
