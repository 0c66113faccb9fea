// The roomcast chat room on the Node binding (same contract and browser page as the Rust
// and Python examples): serves examples/public and the socket.io-client bundle.
//
//   npm install ./bindings/node && npm ci --prefix examples
//   PORT=3000 node examples/node/chat.js      # PORT=0 picks a free port
//
// Plain WebSocket clients chat at ws://localhost:3000/ws/chat (see io.ws below).
// Connection state recovery is on: a tab that loses its connection for up to RECOVERY_MS
// (default 2 minutes) comes back in KPL with its name and gets what it missed.
// With TLS_CERT and TLS_KEY (PEM files) it serves https / wss; `kill -HUP` reloads them
// from the same paths (io.setSecureContext) without a restart.
// With ADMIN_UI_PASSWORD (a bcrypt hash; user ADMIN_UI_USERNAME, default "admin") or
// ADMIN_UI_AUTH=false it serves the Socket.IO admin UI (instrument(), namespace /admin),
// with ADMIN_UI_MODE, ADMIN_UI_READONLY=1 and ADMIN_UI_SERVER_ID.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Server, redisAdapter, instrument } = require('roomcast');

const examples = path.join(__dirname, '..');
const ROOM = 'KPL';

const io = new Server({
  cors: { origin: '*' },
  serveStatic: path.join(examples, 'public'),
  clientDir: path.join(examples, 'node_modules', 'socket.io-client', 'dist'),
  connectionStateRecovery: { maxDisconnectionDuration: Number(process.env.RECOVERY_MS || 2 * 60 * 1000) },
  // With REDIS_URL, join the Redis cluster (REDIS_KEY, default "socket.io"): rooms and
  // broadcasts then span every node, roomcast or Node socket.io.
  adapter: process.env.REDIS_URL
    ? redisAdapter({ url: process.env.REDIS_URL, key: process.env.REDIS_KEY || 'socket.io' })
    : undefined,
  // REDIS_STREAMS=1: the Redis Streams adapter (recovery across nodes) instead of classic.
  ...(process.env.REDIS_STREAMS === '1' ? { redisStreams: true } : {}),
  tls: readTls(),
  // With METRICS_PATH (e.g. /metrics), Prometheus metrics are served there.
  metricsPath: process.env.METRICS_PATH || undefined,
});

function readTls() {
  const { TLS_CERT, TLS_KEY } = process.env;
  return TLS_CERT && TLS_KEY ? { cert: fs.readFileSync(TLS_CERT), key: fs.readFileSync(TLS_KEY) } : undefined;
}

const env = process.env;
if (env.ADMIN_UI_PASSWORD || env.ADMIN_UI_AUTH === 'false') {
  instrument(io, {
    auth: env.ADMIN_UI_PASSWORD
      ? { type: 'basic', username: env.ADMIN_UI_USERNAME || 'admin', password: env.ADMIN_UI_PASSWORD }
      : false,
    readonly: env.ADMIN_UI_READONLY === '1',
    mode: env.ADMIN_UI_MODE || 'development',
    serverId: env.ADMIN_UI_SERVER_ID || undefined,
  });
}

const history = []; // every {name, message} so far
let online = 0;

io.on('connection', (socket) => {
  if (socket.recovered) {
    // Back in KPL with its data, and the missed events were replayed: no history (it would
    // wipe the missed shouts on the page).
    if (socket.data.name !== undefined) socket.broadcast.emit('globalMsg', `${socket.data.name} is back`);
  } else {
    socket.join(ROOM);
    socket.emit('allMessage', history);
  }
  online += 1;
  io.emit('online', online);

  socket.on('talk', (message) => socket.to(ROOM).emit('talk', message));

  socket.on('user-name', (name) => {
    socket.data.name = String(name);
    socket.broadcast.emit('globalMsg', `${socket.data.name} joined`);
  });

  socket.on('sendMessage', (data) => {
    const message = { name: data && data.name, message: data && data.message };
    history.push(message);
    io.emit('newMessage', message);
  });

  socket.on('disconnect', () => {
    if (socket.data.name !== undefined) io.emit('globalMsg', `${socket.data.name} left`);
    online = Math.max(0, online - 1);
    io.emit('online', online);
  });
});

// Plain WebSocket clients (the `ws` module's API, as in the seed: `new
// WebSocket('ws://localhost:3000/ws/chat')`) are in KPL too: their text reaches the room
// as `talk`, and a `talk` to KPL reaches them as text (the `first_arg` delivery rule).
const plain = io.ws('/ws/chat', { delivery: 'first_arg' });
plain.on('connection', (ws) => {
  ws.join(ROOM);
  ws.on('message', (message, isBinary) => {
    if (!isBinary) io.to(ROOM).except(ws.id).emit('talk', message);
  });
});

io.listen(Number(process.env.PORT || 3000));
console.log(`listening on ${io.opts.tls ? 'https' : 'http'}://localhost:${io.port}`);
if (io.opts.tls) {
  process.on('SIGHUP', () => {
    try {
      io.setSecureContext(readTls());
      console.log('tls: certificate reloaded');
    } catch (err) {
      console.error(`tls: reload failed, keeping the old one: ${err.message}`);
    }
  });
}
process.on('SIGTERM', () => io.close());
process.on('SIGINT', () => io.close());
