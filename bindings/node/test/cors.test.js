'use strict';
// cors.origin as the cors package takes it for socket.io: a RegExp, an array mixing strings
// and RegExps (matched in the core), or a function (origin, callback) asked about every
// request. Checked with real requests carrying an Origin header (handshakes and
// preflights) and with socket.io-client.
const test = require('node:test');
const assert = require('node:assert/strict');
const { roomcast, serve, client, once, connected } = require('./helpers');

/** A polling handshake (or, with `preflight`, its OPTIONS) from `origin` (none: no header). */
function request(io, origin, preflight = false) {
  const headers = {};
  if (origin !== undefined) headers.origin = origin;
  if (preflight) {
    headers['access-control-request-method'] = 'POST';
    headers['access-control-request-headers'] = 'x-token';
  }
  return fetch(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`, { method: preflight ? 'OPTIONS' : 'GET', headers });
}

/** Asserts the ACAO header a request from `origin` gets (null: none). */
async function acao(io, origin, expected, preflight = false) {
  const res = await request(io, origin, preflight);
  assert.equal(res.headers.get('access-control-allow-origin'), expected, `${preflight ? 'preflight' : 'handshake'} from ${origin}`);
  if (expected !== null && expected !== '*') assert.match(res.headers.get('vary') || '', /Origin/);
  return res;
}

test('cors.origin as a RegExp: the matching origins are reflected, preflights included', async (t) => {
  const io = serve(t, { cors: { origin: /^https?:\/\/([a-z]+\.)?allowed\.example(:\d+)?$/i } });
  for (const preflight of [false, true]) {
    await acao(io, 'http://allowed.example', 'http://allowed.example', preflight);
    await acao(io, 'https://app.ALLOWED.example:8443', 'https://app.ALLOWED.example:8443', preflight);
    await acao(io, 'http://allowed.example.evil.com', null, preflight);
    await acao(io, 'http://evil.example', null, preflight);
  }
  const res = await request(io, 'http://evil.example');
  assert.equal(res.status, 200, 'a refused origin still gets its answer (without CORS headers), as with the cors package');
});

test('cors.origin as an array mixing strings and RegExps', async (t) => {
  const io = serve(t, { cors: { origin: ['http://a.example', /\.b\.example$/], credentials: true } });
  const res = await acao(io, 'http://a.example', 'http://a.example');
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  await acao(io, 'http://x.b.example', 'http://x.b.example');
  await acao(io, 'http://b.example', null);
  await acao(io, 'http://a.example:80', null);
  const pre = await acao(io, 'http://x.b.example', 'http://x.b.example', true);
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-headers'), 'x-token');
});

test('cors.origin RegExps the core cannot compile are refused by name', () => {
  assert.throws(() => new roomcast.Server({ host: '127.0.0.1', cors: { origin: /(?<=https:\/\/)a\.example/ } }).listen(0),
    (e) => e.code === 'ERR_INVALID_CONFIG' && /cors_origin_patterns/.test(e.message));
  assert.throws(() => new roomcast.Server({ host: '127.0.0.1', cors: { origin: /a/y } }).listen(0),
    (e) => e instanceof TypeError && /^cors\.origin: the RegExp flag "y"/.test(e.message));
  assert.throws(() => new roomcast.Server({ host: '127.0.0.1', cors: { origin: [] } }).listen(0),
    (e) => e instanceof TypeError && /^cors\.origin: an empty array/.test(e.message));
});

test('cors.origin: false sends no CORS headers', async (t) => {
  const io = serve(t, { cors: { origin: false } });
  await acao(io, 'http://a.example', null);
  await acao(io, 'http://a.example', null, true);
});

test('cors.origin as a function decides every request: allowed, not allowed, an error refuses', async (t) => {
  const asked = [];
  const io = serve(t, {
    cors: {
      origin: (origin, callback) => {
        asked.push(origin);
        if (origin === 'http://err.example') return callback(new Error('Not allowed by CORS'));
        // Asynchronous answers work too.
        if (origin === 'http://late.example') return setTimeout(() => callback(null, true), 20);
        if (origin === 'http://list.example') return callback(null, ['http://other.example', /^http:\/\/list\./]);
        callback(null, origin === 'http://fn.example');
      },
      credentials: true,
    },
  });
  const errors = [];
  io.engine.on('connection_error', (e) => errors.push(e));
  const res = await acao(io, 'http://fn.example', 'http://fn.example');
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  await acao(io, 'http://fn.example', 'http://fn.example', true);
  await acao(io, 'http://late.example', 'http://late.example');
  await acao(io, 'http://list.example', 'http://list.example');
  const denied = await acao(io, 'http://evil.example', null);
  assert.equal(denied.status, 200);
  await acao(io, 'http://evil.example', null, true);
  // An error from the function: engine.io's answer to a failing middleware.
  const failed = await acao(io, 'http://err.example', null);
  assert.equal(failed.status, 400);
  assert.deepEqual(await failed.json(), { code: 3, message: 'Bad request' });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 3);
  assert.deepEqual(errors[0].context, { name: 'MIDDLEWARE_FAILURE' });
  assert.equal(errors[0].req.headers.origin, 'http://err.example');
  // A client that is not a browser sends no Origin: the function sees undefined.
  await acao(io, undefined, null);
  assert.deepEqual(asked, ['http://fn.example', 'http://fn.example', 'http://late.example', 'http://list.example',
    'http://evil.example', 'http://evil.example', 'http://err.example', undefined]);
});

test('cors.origin as a function with socket.io-client: every polling request asks it, refused origins cannot connect', async (t) => {
  const asked = [];
  const io = serve(t, {
    cors: {
      origin: (origin, callback) => {
        asked.push(origin);
        if (origin === undefined || origin === 'http://app.example') callback(null, true);
        else callback(new Error('Not allowed by CORS'));
      },
    },
  });
  io.on('connection', (s) => s.on('echo', (v, ack) => ack(v)));
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    const c = await connected(client(t, io, '/', { transports, extraHeaders: { origin: 'http://app.example' } }));
    assert.equal(await c.emitWithAck('echo', transports.join()), transports.join());
    c.disconnect();
  }
  assert.ok(asked.length >= 4, `asked ${asked.length} times`);
  assert.ok(asked.every((o) => o === 'http://app.example'));
  // Without an Origin header (a Node client), the function allows it here.
  const plain = await connected(client(t, io, '/', { transports: ['polling'] }));
  assert.equal(await plain.emitWithAck('echo', 1), 1);
  assert.ok(asked.includes(undefined));
  // The function's error refuses the handshake.
  const refused = client(t, io, '/', { transports: ['polling'], extraHeaders: { origin: 'http://evil.example' } });
  const [err] = await once(refused, 'connect_error');
  assert.match(err.message, /xhr poll error/);
  assert.equal(refused.connected, false);
});

test('a function as cors.origin cannot be combined with the core options for origins', () => {
  assert.throws(() => new roomcast.Server({ host: '127.0.0.1', cors: { origin: () => {} }, corsOrigins: ['http://a.example'] }).listen(0),
    (e) => e.code === 'ERR_INVALID_CONFIG' && /cors_origin_hook/.test(e.message));
});

test('cors.methods, allowedHeaders, exposedHeaders and maxAge go out as the cors package sends them', async (t) => {
  const io = serve(t, {
    cors: {
      origin: 'http://app.example',
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'x-token'],
      exposedHeaders: 'x-request-id,x-trace',
      maxAge: 600,
      credentials: true,
    },
  });
  io.on('connection', (s) => s.on('echo', (v, ack) => ack(v)));
  // The preflight of socket.io's handshake.ts.
  for (const url of ['/socket.io/?EIO=4&transport=polling', '/socket.io?transport=polling&EIO=4&t=x']) {
    const pre = await fetch(`http://127.0.0.1:${io.port}${url}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-other' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.equal(pre.headers.get('access-control-allow-methods'), 'GET,POST');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type,x-token', 'the configured list, not the requested one');
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(pre.headers.get('access-control-max-age'), '600');
    assert.equal(pre.headers.get('access-control-expose-headers'), 'x-request-id,x-trace');
  }
  const res = await fetch(`http://127.0.0.1:${io.port}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'http://app.example' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.example');
  assert.equal(res.headers.get('access-control-expose-headers'), 'x-request-id,x-trace');
  assert.equal(res.headers.get('access-control-max-age'), null, 'max age is for preflights only');
  assert.equal(res.headers.get('access-control-allow-headers'), null);
  assert.match(await res.text(), /^0\{"sid":/);
  // A socket.io client sending the allowed header from that origin connects over polling.
  const c = await connected(client(t, io, '/', { transports: ['polling'], extraHeaders: { origin: 'http://app.example', 'x-token': 'abc' } }));
  assert.equal(await c.emitWithAck('echo', 'cors'), 'cors');
});

test('cors without allowedHeaders reflects the requested headers; a falsy maxAge sends none; an empty list sends no header', async (t) => {
  const reflect = serve(t, { cors: { origin: '*', maxAge: null, allowedHeaders: '' } });
  const pre = await fetch(`http://127.0.0.1:${reflect.port}/socket.io/?EIO=4&transport=polling`, {
    method: 'OPTIONS',
    headers: { origin: 'http://a.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-a,x-b' },
  });
  assert.equal(pre.headers.get('access-control-allow-headers'), 'x-a,x-b');
  assert.match(pre.headers.get('vary') || '', /Access-Control-Request-Headers/);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'GET,HEAD,PUT,PATCH,POST,DELETE');
  assert.equal(pre.headers.get('access-control-max-age'), null);
  const empty = serve(t, { cors: { origin: '*', allowedHeaders: [], maxAge: 0 } });
  const none = await fetch(`http://127.0.0.1:${empty.port}/socket.io/?EIO=4&transport=polling`, {
    method: 'OPTIONS',
    headers: { origin: 'http://a.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-a' },
  });
  assert.equal(none.headers.get('access-control-allow-headers'), null);
  assert.equal(none.headers.get('access-control-max-age'), '0');
});
