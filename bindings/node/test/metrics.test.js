'use strict';
// Metrics from Node: io.metrics() (the host's snapshot call) and the Prometheus scrape at
// metricsPath follow real socket.io-clients: connects, events, broadcasts, disconnect
// reasons; without metrics, metrics() throws naming the option.

const test = require('node:test');
const assert = require('node:assert/strict');
const { roomcast, serve, client, once, connected } = require('./helpers');

async function until(pred, what) {
  const end = Date.now() + 10000;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not reached`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The scrape as { "name{labels}": value }. */
async function scrape(io) {
  const res = await fetch(`http://127.0.0.1:${io.port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const out = {};
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

test('metrics() and /metrics follow connects, events and disconnect reasons', async (t) => {
  const io = serve(t, { metricsPath: '/metrics' });
  io.on('connection', (socket) => {
    socket.join('chat');
    socket.on('talk', (msg) => socket.to('chat').emit('talk', msg));
  });
  assert.equal(io.metrics().connects, 0);
  const a = await connected(client(t, io));
  const b = await connected(client(t, io, '/', { transports: ['polling'] }));
  let m = io.metrics();
  assert.equal(m.connects, 2);
  assert.deepEqual(m.sockets, { '/': 2 });
  assert.deepEqual(m.rooms, { '/': 1 });
  assert.deepEqual(m.sessions, { polling: 1, websocket: 1 });
  assert.equal(m.handshake_seconds.count, 2);
  const heard = once(b, 'talk');
  a.emit('talk', 'hi');
  assert.deepEqual(await heard, ['hi']);
  m = io.metrics();
  assert.equal(m.events_received, 1);
  assert.equal(m.broadcasts, 1);
  assert.equal(m.deliveries, 1);
  const prom = await scrape(io);
  assert.equal(prom.roomcast_connects_total, 2);
  assert.equal(prom.roomcast_events_received_total, 1);
  assert.equal(prom['roomcast_sockets_connected{namespace="/"}'], 2);
  assert.equal(prom['roomcast_rooms{namespace="/"}'], 1);
  a.disconnect();
  b.io.engine.close();
  await until(() => io.metrics().sockets['/'] === 0, 'both gone');
  m = io.metrics();
  assert.equal(m.disconnects['client namespace disconnect'], 1);
  assert.equal(m.disconnects['transport close'], 1);
  assert.equal((await scrape(io))['roomcast_disconnects_total{reason="transport close"}'], 1);
});

test('metrics() needs metrics on; a bad metricsPath is refused', async (t) => {
  const plain = serve(t);
  assert.throws(() => plain.metrics(), (e) => e.code === 'ERR_INVALID_CONFIG' && /metrics/.test(e.message));
  const on = serve(t, { metrics: true });
  assert.equal(on.metrics().connects, 0);
  assert.equal((await fetch(`http://127.0.0.1:${on.port}/metrics`)).status, 404, 'no path: no endpoint');
  assert.throws(() => new roomcast.Server({ metricsPath: 'metrics' }).listen(0),
    (e) => e.code === 'ERR_INVALID_CONFIG' && /metrics_path/.test(e.message));
});
