'use strict';
// connectionStateRecovery on the Node binding, with the real socket.io-client.
const test = require('node:test');
const assert = require('node:assert/strict');
const { roomcast, serve, client, once, connected, nextConnection } = require('./helpers');

/** Closes the client's transport and resolves with the server side's disconnect reason. */
async function drop(serverSocket, socket) {
  const gone = once(serverSocket, 'disconnect');
  socket.io.engine.close();
  return (await gone)[0];
}

test('a socket whose transport drops recovers its id, rooms, data and the events it missed', async (t) => {
  const io = serve(t, { connectionStateRecovery: { maxDisconnectionDuration: 60000 } });
  const seen = [];
  const socket = client(t, io);
  socket.on('news', (...args) => seen.push(args));
  const first = nextConnection(io);
  await connected(socket);
  const s1 = await first;
  assert.equal(s1.recovered, false);
  s1.join('kpl');
  s1.data.name = 'ada';
  io.to('kpl').emit('news', 'before');
  await once(socket, 'news');

  assert.equal(await drop(s1, socket), 'transport close');
  io.to('kpl').emit('news', 'missed 1');
  io.to('elsewhere').emit('news', 'not for it');
  io.to('kpl').emit('news', 'missed 2', { n: 2 });

  const second = nextConnection(io);
  const back = once(socket, 'connect');
  socket.connect();
  const [s2] = await Promise.all([second, back]);
  assert.equal(s2.recovered, true);
  assert.equal(socket.recovered, true);
  assert.equal(s2.id, s1.id);
  assert.equal(socket.id, s1.id);
  assert.deepEqual(s2.data, { name: 'ada' });
  assert.deepEqual([...s2.rooms].sort(), [s1.id, 'kpl'].sort());
  io.to('kpl').emit('news', 'after');
  await new Promise((resolve) => socket.once('news', function wait(m) {
    if (m === 'after') resolve();
    else socket.once('news', wait);
  }));
  assert.deepEqual(seen.map((a) => a[0]), ['before', 'missed 1', 'missed 2', 'after']);
  // Every stored event ends with its offset (a string), as in socket.io.
  assert.ok(seen.every((a) => typeof a[a.length - 1] === 'string'));
  assert.deepEqual(seen[2].slice(0, 2), ['missed 2', { n: 2 }]);
});

test('with skipMiddlewares off, middleware sees socket.recovered; an explicit disconnect is not recovered', async (t) => {
  const io = serve(t, { connectionStateRecovery: { maxDisconnectionDuration: 60000, skipMiddlewares: false } });
  const recoveredInMiddleware = [];
  io.use((socket, next) => {
    recoveredInMiddleware.push(socket.recovered);
    next();
  });
  const socket = client(t, io);
  const first = nextConnection(io);
  await connected(socket);
  const s1 = await first;
  s1.emit('hello', 1); // gives the client an offset
  await once(socket, 'hello');
  await drop(s1, socket);
  let next = nextConnection(io);
  let back = once(socket, 'connect');
  socket.connect();
  const [s2] = await Promise.all([next, back]);
  assert.equal(s2.recovered, true);
  assert.deepEqual(recoveredInMiddleware, [false, true]);

  const gone = once(s2, 'disconnect');
  socket.disconnect();
  assert.deepEqual(await gone, ['client namespace disconnect']);
  next = nextConnection(io);
  back = once(socket, 'connect');
  socket.connect();
  const [s3] = await Promise.all([next, back]);
  assert.equal(s3.recovered, false);
  assert.notEqual(s3.id, s1.id);
});

test('connectionStateRecovery is validated', () => {
  const make = (csr) => new roomcast.Server({ connectionStateRecovery: csr }).listen(0);
  assert.throws(() => make({ maxDisconnectionDurations: 1 }), /connectionStateRecovery\.maxDisconnectionDurations is not supported/);
  assert.throws(() => make({ skipMiddlewares: 'yes' }), /skipMiddlewares must be a boolean/);
  assert.throws(() => make({ maxDisconnectionDuration: -1 }), /maxDisconnectionDuration must be/);
  assert.throws(() => make('on'), /must be an object/);
});
