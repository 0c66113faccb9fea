'use strict';
// The benchmark app (issue 6) on the roomcast Node binding, the relay in a JS handler; the
// same handlers as the Node socket.io peer (bench/node/bench-server.js):
//   join (room) + ack      -> socket.join(room), ack "ok"
//   echo (data) + ack      -> ack(data)
//   broadcast (room, data) -> socket.to(room).emit("msg", data)  (the room except the sender)
// Events reach JS in order through one thread-safe function, so per-socket order of `msg`
// follows processing order. Port from PORT (default 3000), 127.0.0.1, defaults otherwise.
// BENCH_ATTACH=1: attached to a plain http.createServer on PORT (new Server(httpServer),
// the engine path taken over from Node's server; scripts/bench-attach.sh).
//   (cd bindings/node && npm install)   # builds the native module
//   PORT=3000 node examples/node/bench-server.js
const path = require('path');
const { Server } = require(path.join(__dirname, '..', '..', 'bindings', 'node'));

const http = require('http');

const attached = process.env.BENCH_ATTACH === '1';
const httpServer = attached ? http.createServer((req, res) => res.end('app')) : null;
const io = attached ? new Server(httpServer) : new Server({ host: '127.0.0.1' });

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room);
    if (typeof ack === 'function') ack('ok');
  });
  socket.on('echo', (data, ack) => {
    if (typeof ack === 'function') ack(data);
  });
  socket.on('broadcast', (room, data) => {
    socket.to(room).emit('msg', data);
  });
});

if (attached) {
  httpServer.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
    console.log(`listening on http://localhost:${io.port} (attached)`);
  });
} else {
  io.listen(Number(process.env.PORT || 3000));
  console.log(`listening on http://localhost:${io.port}`);
}
process.on('SIGTERM', () => io.close(() => process.exit(0)));
