'use strict';
// io.engine.use(middleware) with the real express + express-session, and generateId:
// - express + http.createServer(app) + roomcast attached on one port: a route served by
//   express sets the session; socket.io-client connecting with that cookie (over polling,
//   over WebSocket, and with the polling -> WebSocket upgrade) sees the same session in
//   socket.request.session, and what a socket handler saves there, express reads back;
//   a handshake without a cookie gets express-session's Set-Cookie in its response.
// - the standalone port with a session store shared with an express app on another port.
// - next(err) refuses (400 {"code":3,...}, connection_error MIDDLEWARE_FAILURE), as does a
//   middleware that answers itself; a middleware that never calls next cannot hang the
//   client (refused at allowRequestTimeout).
// - generateId (option, io.engine setter, async) names socket.conn.id; a duplicate or
//   malformed id refuses that handshake with connection_error ID_GENERATION_ERROR.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { ioc, roomcast, once, repo } = require('./helpers');

const testsRequire = createRequire(path.join(repo, 'tests', 'node', 'package.json'));
const express = testsRequire('express');
const session = testsRequire('express-session');

function get(port, url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: url, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

/** The `name=value` part of a Set-Cookie header list. */
function cookieOf(res) {
  const set = res.headers['set-cookie'];
  assert.ok(set && set.length > 0, `no Set-Cookie in ${JSON.stringify(res.headers)}`);
  return set[0].split(';')[0];
}

/** express with a session: /login sets the user, /count reads what sockets saved. */
function sessionApp(store) {
  const sessionMiddleware = session({ secret: 'kpl', resave: false, saveUninitialized: true, store });
  const app = express();
  app.use(sessionMiddleware);
  app.get('/login', (req, res) => {
    req.session.user = 'ada';
    res.send('ok');
  });
  app.get('/count', (req, res) => res.json({ count: req.session.count || 0, user: req.session.user }));
  return { app, sessionMiddleware };
}

/** Connection handler: answers `whoami` from the session, `bump` saves into it. */
function sessionHandlers(io) {
  io.on('connection', (socket) => {
    socket.on('whoami', (ack) => ack({ user: socket.request.session.user, id: socket.request.session.id }));
    socket.on('bump', (ack) => {
      const s = socket.request.session;
      s.count = (s.count || 0) + 1;
      s.save(() => ack(s.count));
    });
  });
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

test('express-session through io.engine.use on an attached server: the socket sees the express session', async (t) => {
  const { app, sessionMiddleware } = sessionApp(new session.MemoryStore());
  const server = http.createServer(app);
  const io = new roomcast.Server(server);
  // After new Server(httpServer): the core is running already; use() turns the round trip on.
  io.engine.use(sessionMiddleware);
  sessionHandlers(io);
  t.after(() => io.close());
  const port = await listen(server);
  const login = await get(port, '/login');
  const cookie = cookieOf(login);
  const sid = decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0];
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    const c = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, transports, extraHeaders: { cookie } });
    t.after(() => c.disconnect());
    await once(c, 'connect');
    const me = await c.emitWithAck('whoami');
    assert.deepEqual(me, { user: 'ada', id: sid }, `over ${transports}`);
    const n = await c.emitWithAck('bump');
    // express reads what the socket saved: one session, one store.
    assert.deepEqual(JSON.parse((await get(port, '/count', { cookie })).body), { count: n, user: 'ada' });
    c.disconnect();
  }
  // A handshake without a cookie: express-session's Set-Cookie is in the handshake's response.
  const hs = await get(port, '/socket.io/?EIO=4&transport=polling');
  assert.equal(hs.status, 200);
  assert.match(cookieOf(hs), /^connect\.sid=s%3A/);
  assert.match(hs.body, /^0\{"sid":/);
});

test('standalone port: a session store shared with an express app on another port', async (t) => {
  const store = new session.MemoryStore();
  const { app, sessionMiddleware } = sessionApp(store);
  const web = http.createServer(app);
  const webPort = await listen(web);
  t.after(() => web.close());
  const io = new roomcast.Server({ host: '127.0.0.1' });
  io.engine.use(sessionMiddleware);
  sessionHandlers(io);
  io.listen(0);
  t.after(() => io.close());
  const cookie = cookieOf(await get(webPort, '/login'));
  const c = ioc(`http://127.0.0.1:${io.port}`, { forceNew: true, reconnection: false, extraHeaders: { cookie } });
  t.after(() => c.disconnect());
  await once(c, 'connect');
  assert.equal((await c.emitWithAck('whoami')).user, 'ada');
});

test('engine middleware refusals: next(err), a middleware that answers itself, one that never calls next', async (t) => {
  const io = new roomcast.Server({ host: '127.0.0.1', allowRequestTimeout: 300 });
  io.engine.use((req, res, next) => {
    if (req._query.mode === 'fail') next(new Error('no session store'));
    else if (req._query.mode === 'answer') {
      res.statusCode = 401;
      res.end('who are you');
    } else if (req._query.mode === 'silent') {
      // never calls next
    } else next();
  });
  io.listen(0);
  t.after(() => io.close());
  const errors = [];
  io.engine.on('connection_error', (e) => errors.push(e));
  const fail = await get(io.port, '/socket.io/?EIO=4&transport=polling&mode=fail');
  assert.equal(fail.status, 400);
  assert.deepEqual(JSON.parse(fail.body), { code: 3, message: 'Bad request' });
  assert.equal(errors[0].code, 3);
  assert.deepEqual(errors[0].context, { name: 'MIDDLEWARE_FAILURE' });
  assert.equal(errors[0].req._query.mode, 'fail');
  const answer = await get(io.port, '/socket.io/?EIO=4&transport=polling&mode=answer');
  assert.equal(answer.status, 401);
  assert.equal(JSON.parse(answer.body).message, 'who are you');
  // No answer: the core refuses at allowRequestTimeout; the client is not left hanging.
  const silent = await get(io.port, '/socket.io/?EIO=4&transport=polling&mode=silent');
  assert.equal(silent.status, 403);
  // The real client sees connect_error for a refused handshake, and connects otherwise.
  const bad = ioc(`http://127.0.0.1:${io.port}`, { forceNew: true, reconnection: false, query: { mode: 'fail' } });
  t.after(() => bad.disconnect());
  await once(bad, 'connect_error');
  const good = ioc(`http://127.0.0.1:${io.port}`, { forceNew: true, reconnection: false });
  t.after(() => good.disconnect());
  await once(good, 'connect');
});

// connection_error reaches JS through the event queue, so it can arrive after the client
// already saw its connect_error: wait for the reports a check needs (bounded by the test's timeout).
async function reported(errors, io, pred) {
  while (!pred(errors)) await once(io.engine, 'connection_error');
}

test('generateId: the option, the io.engine setter (async), duplicates and malformed ids refused', async (t) => {
  let n = 0;
  const io = new roomcast.Server({ host: '127.0.0.1', generateId: (req) => `user-${req._query.who}-${n++}` });
  io.listen(0);
  t.after(() => io.close());
  const errors = [];
  io.engine.on('connection_error', (e) => errors.push(e));
  const url = `http://127.0.0.1:${io.port}`;
  const conn = once(io, 'connection');
  const a = ioc(url, { forceNew: true, reconnection: false, query: { who: 'ada' } });
  t.after(() => a.disconnect());
  const [socket] = await conn;
  await once(a, 'connect');
  assert.equal(socket.conn.id, 'user-ada-0');
  assert.equal(a.io.engine.id, 'user-ada-0');
  // The session keeps working under that id (messages and the upgrade use it).
  socket.on('ping', (ack) => ack('pong'));
  assert.equal(await a.emitWithAck('ping'), 'pong');

  // Set on io.engine while running, async; the same id twice: the second is refused.
  io.engine.generateId = async () => 'same-id';
  const b = ioc(url, { forceNew: true, reconnection: false, transports: ['websocket'] });
  t.after(() => b.disconnect());
  await once(b, 'connect');
  assert.equal(b.io.engine.id, 'same-id');
  const c = ioc(url, { forceNew: true, reconnection: false, transports: ['websocket'] });
  t.after(() => c.disconnect());
  await once(c, 'connect_error');
  await reported(errors, io, (xs) => xs.some((e) => e.context.name === 'ID_GENERATION_ERROR'));
  const dup = errors.find((e) => e.code === 3 && e.context.name === 'ID_GENERATION_ERROR');
  assert.ok(dup, JSON.stringify(errors.map((e) => [e.code, e.context])));
  assert.match(String(dup.context.error), /already in use/);

  // A malformed id (a space) and a throwing generateId: refused, reported with the error.
  io.engine.generateId = () => 'has space';
  const d = ioc(url, { forceNew: true, reconnection: false, transports: ['polling'] });
  t.after(() => d.disconnect());
  await once(d, 'connect_error');
  io.engine.generateId = () => { throw new Error('no ids left'); };
  const e = ioc(url, { forceNew: true, reconnection: false, transports: ['polling'] });
  t.after(() => e.disconnect());
  await once(e, 'connect_error');
  await reported(errors, io, (xs) => xs.filter((x) => x.context.name === 'ID_GENERATION_ERROR').length >= 3);
  const reasons = errors.filter((x) => x.context.name === 'ID_GENERATION_ERROR').map((x) => String(x.context.error.message || x.context.error));
  assert.ok(reasons.some((r) => /generateId: a session id must be/.test(r)), reasons.join(' | '));
  assert.ok(reasons.some((r) => /no ids left/.test(r)), reasons.join(' | '));
});
