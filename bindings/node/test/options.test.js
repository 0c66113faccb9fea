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
  // 0 attachments allowed: a binary packet closes the connection ("forced close" on the server).
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
  admin_ui_password: HASH, admin_ui_mode: 'production', cors_origin_patterns: ['^https://[a-z]+\\.example$'],
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
  cors_methods: { corsOrigins: '*' },
  cors_allowed_headers: { corsOrigins: '*' },
  cors_exposed_headers: { corsOrigins: '*' },
  cors_max_age: { corsOrigins: '*' },
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

let socketIoOptions;
try {
  socketIoOptions = require('roomcast/lib/options');
} catch {
  socketIoOptions = require('../lib/options');
}

// socket.io 4.8's ServerOptions, engine.io's ServerOptions and AttachOptions: every one.
const DOCUMENTED = ['path', 'serveClient', 'adapter', 'parser', 'connectTimeout', 'connectionStateRecovery',
  'cleanupEmptyChildNamespaces', 'pingTimeout', 'pingInterval', 'upgradeTimeout', 'maxHttpBufferSize', 'allowRequest',
  'transports', 'allowUpgrades', 'perMessageDeflate', 'httpCompression', 'wsEngine', 'initialPacket', 'cookie', 'cors',
  'allowEIO3', 'addTrailingSlash', 'destroyUpgrade', 'destroyUpgradeTimeout'];

test('every option socket.io documents has a row: honoured, accepted or refused', () => {
  const table = socketIoOptions.SOCKET_IO_OPTIONS;
  assert.deepEqual([...table.keys()].sort(), [...DOCUMENTED].sort());
  for (const [name, row] of table) {
    assert.ok(['honoured', 'accepted', 'refused'].includes(row.status), name);
    assert.ok(row.where.length > 10, `${name} says what roomcast does`);
  }
});

test('socket.io options roomcast cannot honour are refused with a TypeError naming them', () => {
  const cases = [
    [{ wsEngine: class {} }, /^wsEngine is not supported/],
    [{ initialPacket: 'hello' }, /^initialPacket is not supported/],
    [{ upgradeTimeout: 5000 }, /^upgradeTimeout: only 10000/],
    [{ allowUpgrades: false }, /^allowUpgrades: only true/],
    [{ httpCompression: true }, /^httpCompression: only false/],
    [{ httpCompression: { threshold: 2048 } }, /^httpCompression: only false/],
    [{ cookie: { name: 'io' } }, /^cookie: only false/],
    [{ cookie: true }, /^cookie: only false/],
    [{ allowEIO3: true }, /^allowEIO3: only false/],
    [{ addTrailingSlash: 'yes' }, /^addTrailingSlash: must be a boolean/],
    [{ destroyUpgrade: 'no' }, /^destroyUpgrade must be a boolean/],
    [{ destroyUpgradeTimeout: -1 }, /^destroyUpgradeTimeout must be/],
    [{ transports: ['polling', 'webtransport'] }, /^transports: "webtransport" is not supported/],
    [{ transports: ['carrier-pigeon'] }, /^transports: unknown transport "carrier-pigeon"/],
    [{ transports: 'websocket' }, /^transports must be an array/],
    [{ cors: () => {} }, /^cors as a function/],
    [{ cors: { origin: '*', allowedHeaders: 5 } }, /^cors\.allowedHeaders must be a string or an array of strings/],
    [{ cors: { origin: '*', exposedHeaders: [1] } }, /^cors\.exposedHeaders must be a string or an array of strings/],
    [{ cors: { origin: '*', methods: { get: true } } }, /^cors\.methods must be a string or an array of strings/],
    [{ cors: { origin: '*', maxAge: -1 } }, /^cors\.maxAge must be a whole number of seconds/],
    [{ cors: { origin: '*', maxAge: 1.5 } }, /^cors\.maxAge must be a whole number of seconds/],
    [{ cors: { origin: '*', maxAge: '10 minutes' } }, /^cors\.maxAge must be a whole number of seconds/],
    [{ cors: { origin: '*', preflightContinue: true } }, /^cors\.preflightContinue: only false/],
    [{ cors: { origin: '*', optionsSuccessStatus: 200 } }, /^cors\.optionsSuccessStatus: only 204/],
    [{ cors: { origin: '*', originz: 'typo' } }, /^cors\.originz is not supported/],
    [{ adapter: class MyAdapter {} }, /^adapter: the only supported adapter/],
    [{ parser: { Encoder: class {}, Decoder: class {} } }, /^parser: only socket\.io-parser/],
  ];
  for (const [opts, pattern] of cases) {
    // Refused where the options are given: the constructor, or listen()/attach().
    assert.throws(() => new roomcast.Server({ host: '127.0.0.1', ...opts }).listen(0), (e) => e instanceof TypeError && pattern.test(e.message), `${JSON.stringify(Object.keys(opts))} ${pattern}`);
    const io = new roomcast.Server({ host: '127.0.0.1' });
    assert.throws(() => io.listen(0, opts), (e) => e instanceof TypeError && pattern.test(e.message));
    assert.equal(io._native, null, 'nothing listens after a refusal');
  }
});

test('only the options object\'s own keys are read: an inherited wsEngine is not an option', async (t) => {
  const inherited = Object.create({ wsEngine: class {}, allowEIO3: true, pingInterval: 1 });
  inherited.host = '127.0.0.1';
  const io = new roomcast.Server(inherited).listen(0);
  t.after(() => io.close());
  const res = await fetch(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`);
  assert.match(await res.text(), /"pingInterval":25000/);
});

/** The Engine.IO open packet of a polling handshake at `url`. */
async function openPacket(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  const body = await res.text();
  assert.equal(body[0], '0', body);
  return JSON.parse(body.slice(1));
}

test('accepted values start a server that serves socket.io clients as usual', async (t) => {
  const io = serve(t, {
    allowEIO3: false, httpCompression: false, cookie: false, upgradeTimeout: 10000, allowUpgrades: true,
    addTrailingSlash: false, cors: { origin: '*', methods: 'GET,HEAD,PUT,PATCH,POST,DELETE', preflightContinue: false, optionsSuccessStatus: 204 },
  });
  io.on('connection', (s) => s.on('hi', (ack) => ack('hello')));
  const c = await connected(client(t, io, '/', { transports: ['polling', 'websocket'] }));
  assert.equal(await c.emitWithAck('hi'), 'hello');
  // addTrailingSlash: false clients ask for the path without its slash: served too.
  const open = await openPacket(`http://127.0.0.1:${io.port}/socket.io?EIO=4&transport=polling`);
  assert.deepEqual(open.upgrades, ['websocket']);
  // No session cookie (cookie: false).
  const res = await fetch(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`);
  assert.equal(res.headers.get('set-cookie'), null);
});

test('honoured engine options show in the handshake: path, pingInterval, pingTimeout, maxHttpBufferSize, transports', async (t) => {
  const io = serve(t, { path: '/rt', pingInterval: 1234, pingTimeout: 567, maxHttpBufferSize: 4096, transports: ['polling'] });
  const open = await openPacket(`http://127.0.0.1:${io.port}/rt/?EIO=4&transport=polling`);
  assert.equal(open.pingInterval, 1234);
  assert.equal(open.pingTimeout, 567);
  assert.equal(open.maxPayload, 4096);
  assert.deepEqual(open.upgrades, []); // websocket is off
  const ws = await fetch(`http://127.0.0.1:${io.port}/rt/?EIO=4&transport=websocket`);
  assert.equal(ws.status, 400);
  assert.equal((await fetch(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`)).status, 404);
});

test('connectTimeout: a connection that joins no namespace is closed', async (t) => {
  const io = serve(t, { connectTimeout: 300 });
  const { sid } = await openPacket(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`);
  await sleep(600);
  const res = await fetch(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  // Closed: the session is unknown now (400), or the pending poll gets the close packet.
  if (res.status === 200) assert.match(await res.text(), /1/);
  else assert.equal(res.status, 400);
});

/** Sends an upgrade request for `path` to `port`; resolves with how the socket ended ('end' or 'open' after `wait` ms). */
function unhandledUpgrade(port, path, wait) {
  return new Promise((resolve) => {
    const net = require('node:net');
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('open');
    }, wait);
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve('end');
    });
  });
}

test('destroyUpgrade: an attached server ends upgrades of other paths nobody answers, unless false', async (t) => {
  const http = require('node:http');
  for (const destroyUpgrade of [undefined, false]) {
    const httpServer = http.createServer((req, res) => res.end('app'));
    const io = new roomcast.Server(httpServer, { destroyUpgrade, destroyUpgradeTimeout: 100 });
    await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
    const { port } = httpServer.address();
    const outcome = await unhandledUpgrade(port, '/elsewhere', 1000);
    await io.close();
    assert.equal(outcome, destroyUpgrade === false ? 'open' : 'end', `destroyUpgrade: ${destroyUpgrade}`);
  }
});

test("cors.methods as socket.io's docs write it (GET and POST): a cross-origin client polls and upgrades", async (t) => {
  const io = serve(t, { cors: { origin: 'http://app.example', methods: ['GET', 'POST'], credentials: true } });
  io.on('connection', (s) => s.on('hi', (ack) => ack('hello')));
  const c = await connected(client(t, io, '/', { transports: ['polling', 'websocket'], extraHeaders: { Origin: 'http://app.example' } }));
  assert.equal(await c.emitWithAck('hi'), 'hello');
  const res = await fetch(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://app.example' } });
  assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.example');
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
});
