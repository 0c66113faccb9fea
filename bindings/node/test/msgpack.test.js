'use strict';
// The `parser` option: socket.io-msgpack-parser clients against a Node-hosted roomcast
// server, whose handlers get and send the same values (Buffers for binaries) as with JSON.
const test = require('node:test');
const assert = require('node:assert/strict');
const { roomcast, serve, client, connected, once, ioc, repo } = require('./helpers');
const path = require('node:path');
const { createRequire } = require('node:module');

const fromTests = createRequire(path.join(repo, 'tests', 'node', 'package.json'));
const parser = fromTests('socket.io-msgpack-parser');
const jsonParser = fromTests('socket.io-parser');

for (const transports of [['websocket'], ['polling']]) {
  test(`parser: socket.io-msgpack-parser over ${transports[0]}: acks, rooms and binary both ways`, async (t) => {
    const io = serve(t, { parser });
    const byId = new Map();
    io.on('connection', (socket) => {
      byId.set(socket.id, socket);
      socket.join('r');
      socket.on('echo', (...args) => args.pop()(...args));
      socket.on('relay', (data) => socket.to('r').emit('relayed', data, Buffer.isBuffer(data)));
    });
    const a = client(t, io, '/', { parser, transports });
    const b = client(t, io, '/', { parser, transports });
    await Promise.all([connected(a), connected(b)]);
    const all = await new Promise((resolve) => a.emit('echo', 'x', { n: [1, 2.5] }, Buffer.from([0, 255]), (...r) => resolve(r)));
    assert.deepEqual(all, ['x', { n: [1, 2.5] }, Buffer.from([0, 255])]);
    const heard = once(b, 'relayed');
    a.emit('relay', Buffer.from('to the room'));
    const [data, wasBuffer] = await heard;
    assert.equal(wasBuffer, true, 'the handler got a Buffer for a msgpack bin');
    assert.equal(Buffer.from(data).toString(), 'to the room');
    a.on('q', (x, ack) => ack(Buffer.concat([Buffer.from(x), Buffer.from([8])])));
    const answer = await byId.get(a.id).timeout(10000).emitWithAck('q', Buffer.from([7]));
    assert.deepEqual(Buffer.from(answer), Buffer.from([7, 8]));
  });
}

test("parser: 'msgpack' by name and socket.io-parser as json; other parsers are refused naming parser", async (t) => {
  const io = serve(t, { parser: 'msgpack' });
  const c = client(t, io, '/', { parser });
  await connected(c);
  const json = serve(t, { parser: jsonParser });
  await connected(client(t, json));
  const custom = { Encoder: class { encode(p) { return [JSON.stringify(p)]; } }, Decoder: class {} };
  for (const bad of [custom, {}, 'yaml', 42]) {
    assert.throws(() => new roomcast.Server({ host: '127.0.0.1', parser: bad }).listen(0), (e) => /parser/.test(e.message), String(bad));
  }
});

test('parser: a JSON client on a msgpack server gets a connect_error naming the parser', async (t) => {
  const io = serve(t, { parser });
  const c = ioc(`http://127.0.0.1:${io.port}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  t.after(() => c.close());
  const [err] = await once(c, 'connect_error');
  assert.match(err.message, /this server uses the msgpack parser/);
});
