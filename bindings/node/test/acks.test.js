'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { serve, client, once, collect, connected, nextConnection } = require('./helpers');

async function pair(t) {
  const io = serve(t);
  const conn = nextConnection(io);
  const c = client(t, io);
  await connected(c);
  return { io, c, s: await conn };
}

test('client -> server ack: the handler gets the ack function as its last argument', async (t) => {
  const { c, s } = await pair(t);
  s.on('sum', (a, b, ack) => ack(a + b, 'done'));
  const reply = await new Promise((resolve) => c.emit('sum', 2, 3, (...args) => resolve(args)));
  assert.deepEqual(reply, [5, 'done']);
  s.on('no-ack', (...args) => s.emit('seen', args.length, typeof args[args.length - 1]));
  c.emit('no-ack', 1);
  assert.deepEqual(await once(c, 'seen'), [1, 'number']);
});

test('client -> server ack with timeout on the client side', async (t) => {
  const { c, s } = await pair(t);
  s.on('slow', (ack) => setTimeout(() => ack('late'), 300));
  s.on('fast', (ack) => ack('ok'));
  await assert.rejects(c.timeout(50).emitWithAck('slow'), /timed out/);
  assert.equal(await c.timeout(2000).emitWithAck('fast'), 'ok');
});

test('server -> client ack: socket.emit(ev, ..., fn) and emitWithAck', async (t) => {
  const { c, s } = await pair(t);
  c.on('question', (q, ack) => ack(`answer to ${q}`, 42));
  const args = await new Promise((resolve) => s.emit('question', 'life', (...a) => resolve(a)));
  assert.deepEqual(args, ['answer to life', 42]);
  assert.equal(await s.emitWithAck('question', 'x'), 'answer to x');
});

test('server -> client ack with socket.timeout(ms): (err, ...res)', async (t) => {
  const { c, s } = await pair(t);
  c.on('answer', (ack) => ack('yes'));
  c.on('ignore', () => {});
  const ok = await new Promise((resolve) => s.timeout(2000).emit('answer', (...a) => resolve(a)));
  assert.deepEqual(ok, [null, 'yes']);
  const late = await new Promise((resolve) => s.timeout(100).emit('ignore', (...a) => resolve(a)));
  assert.equal(late.length, 1);
  assert.match(late[0].message, /timed out/);
  await assert.rejects(s.timeout(100).emitWithAck('ignore'), /timed out/);
  assert.equal(await s.timeout(2000).emitWithAck('answer'), 'yes');
});

test('broadcast acks: io.timeout(ms).emit collects every response, or errs with what arrived', async (t) => {
  const io = serve(t);
  const conns = collect(io, 'connection', 3);
  const cs = [client(t, io), client(t, io), client(t, io)];
  await Promise.all(cs.map(connected));
  await conns;
  cs.forEach((c, i) => c.on('count', (ack) => ack(i)));
  cs[0].on('partial', (ack) => ack('a'));
  cs[1].on('partial', (ack) => ack('b'));
  cs[2].on('partial', () => {});
  const all = await new Promise((resolve) => io.timeout(5000).emit('count', (err, res) => resolve([err, res])));
  assert.equal(all[0], null);
  assert.deepEqual(all[1].sort(), [0, 1, 2]);
  const part = await new Promise((resolve) => io.timeout(200).emit('partial', (err, res) => resolve([err, res])));
  assert.match(part[0].message, /timed out/);
  assert.deepEqual(part[1].sort(), ['a', 'b']);
  assert.deepEqual((await io.timeout(5000).emitWithAck('count')).sort(), [0, 1, 2]);
  const rejected = await io.timeout(200).emitWithAck('partial').catch((e) => e);
  assert.deepEqual(rejected.responses.sort(), ['a', 'b']);
  // A room selection with acks, and an empty selection answering at once.
  const [s0] = [...io.sockets.sockets.values()].filter((s) => s.id === cs[0].id);
  s0.join('solo');
  assert.deepEqual(await io.to('solo').timeout(5000).emitWithAck('count'), [0]);
  assert.deepEqual(await io.to('nobody').timeout(5000).emitWithAck('count'), []);
});

test('a client ack may be answered later (async handler) and only once', async (t) => {
  const { c, s } = await pair(t);
  s.on('later', async (ack) => {
    await new Promise((r) => setTimeout(r, 50));
    ack('first');
    ack('second');
  });
  assert.equal(await c.emitWithAck('later'), 'first');
});
