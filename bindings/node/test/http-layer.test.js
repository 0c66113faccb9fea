'use strict';
// The HTTP layer around the engine path, as socket.io's handshake.ts and
// server-attachment.ts see it: the engine answers every URL below its path, and the client
// bundle comes with an ETag (304), gzip/br and the CORS headers. Real requests (fetch,
// node:http) and socket.io-client.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const zlib = require('node:zlib');
const path = require('node:path');
const { roomcast, serve, client, connected } = require('./helpers');

// socket.io-client's dist (the tests' own packages; an application's is found in its
// node_modules when serveClient is on).
const clientDir = path.join(__dirname, '..', '..', '..', 'tests', 'node', 'node_modules', 'socket.io-client', 'dist');

const version = (() => {
  try {
    return require('roomcast/package.json').version;
  } catch {
    return require('../package.json').version;
  }
})();

/** A GET with node:http (no automatic decompression): status, headers, raw body bytes. */
function get(io, path, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: io.port, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('the engine answers every URL below its path (socket.io handshake.ts); nothing beside it', async (t) => {
  const io = serve(t, { allowRequest: (req, cb) => cb(null, true) });
  io.on('connection', (s) => s.on('echo', (v, ack) => ack(v)));
  const res = await fetch(`http://127.0.0.1:${io.port}/socket.io/default/?EIO=4&transport=polling`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /^0\{"sid":/);
  // A socket.io client whose path is below the server's connects over both transports.
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    const c = await connected(client(t, io, '/', { path: '/socket.io/default/', transports }));
    assert.equal(await c.emitWithAck('echo', transports.join()), transports.join());
    c.disconnect();
  }
  assert.equal((await fetch(`http://127.0.0.1:${io.port}/abcdefghij/socket.io.js`)).status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${io.port}/socket.iox/?EIO=4&transport=polling`)).status, 404);
  const refused = serve(t, { allowRequest: (req, cb) => cb(null, false) });
  const no = await fetch(`http://127.0.0.1:${refused.port}/socket.io/default/?EIO=4&transport=polling`, { headers: { origin: 'http://foo.example' } });
  assert.equal(no.status, 403);
});

test('the client bundle: content types, ETag and 304, gzip and br, CORS, 400 for other names', async (t) => {
  const io = serve(t, { cors: { origin: 'https://good-origin.com' }, clientDir });
  const etag = `"${version}"`;
  for (const [file, type] of [
    ['socket.io.js', 'application/javascript; charset=utf-8'],
    ['socket.io.js?buster=1', 'application/javascript; charset=utf-8'],
    ['socket.io.min.js', 'application/javascript; charset=utf-8'],
    ['socket.io.msgpack.min.js', 'application/javascript; charset=utf-8'],
    ['socket.io.esm.min.js', 'application/javascript; charset=utf-8'],
    ['socket.io.js.map', 'application/json; charset=utf-8'],
    ['socket.io.min.js.map', 'application/json; charset=utf-8'],
    ['socket.io.msgpack.min.js.map', 'application/json; charset=utf-8'],
    ['socket.io.esm.min.js.map', 'application/json; charset=utf-8'],
  ]) {
    const res = await get(io, `/socket.io/${file}`, { origin: 'https://good-origin.com' });
    assert.equal(res.status, 200, file);
    assert.equal(res.headers['content-type'], type, file);
    assert.equal(res.headers.etag, etag, file);
    assert.equal(res.headers['access-control-allow-origin'], 'https://good-origin.com', file);
    assert.equal(res.headers['content-encoding'], undefined, file);
    assert.match(res.body.toString(), /engine\.io/, file);
  }
  const plain = (await get(io, '/socket.io/socket.io.js')).body;
  const gz = await get(io, '/socket.io/socket.io.js', { 'accept-encoding': 'gzip,br,deflate' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(zlib.gunzipSync(gz.body), plain);
  const br = await get(io, '/socket.io/socket.io.js', { 'accept-encoding': 'br' });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.deepEqual(zlib.brotliDecompressSync(br.body), plain);
  // fetch (undici) asks for gzip and decodes it.
  const fetched = await fetch(`http://127.0.0.1:${io.port}/socket.io/socket.io.min.js`);
  assert.equal(fetched.status, 200);
  assert.match(await fetched.text(), /engine\.io/);
  for (const tag of [etag, `W/${etag}`]) {
    assert.equal((await get(io, '/socket.io/socket.io.js', { 'if-none-match': tag })).status, 304, tag);
  }
  assert.equal((await get(io, '/socket.io/socket.io.js', { 'if-none-match': '"0.0.0"' })).status, 200);
  assert.equal((await get(io, '/socket.io/socket.io.esm.js')).status, 400);
  const off = serve(t, { serveClient: false });
  assert.equal((await get(off, '/socket.io/socket.io.js')).status, 400);
});

test('an attached http.Server serves the bundle and the engine below its path', async (t) => {
  const server = http.createServer((req, res) => {
    res.writeHead(404);
    res.end();
  });
  const io = new roomcast.Server();
  io.attach(server, { clientDir });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => io.close());
  const port = server.address().port;
  const bundle = await get({ port }, '/socket.io/socket.io.js', { 'accept-encoding': 'gzip' });
  assert.equal(bundle.status, 200);
  assert.equal(bundle.headers.etag, `"${version}"`);
  assert.equal(bundle.headers['content-encoding'], 'gzip');
  assert.match(zlib.gunzipSync(bundle.body).toString(), /engine\.io/);
  const hs = await fetch(`http://127.0.0.1:${port}/socket.io/default/?EIO=4&transport=polling`);
  assert.equal(hs.status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
});
