// A roomcast node on the Node binding (bindings/node) in a Redis cluster: the socket.io
// API with `adapter: redisAdapter({ url, key })` (SHARDED=1: `shardedRedisAdapter({ url,
// channelPrefix })`). Prints "listening on http://127.0.0.1:<port>".
const path = require('node:path');
const { Server, redisAdapter, shardedRedisAdapter } = require(path.join(__dirname, '../../../bindings/node'));

const key = process.env.REDIS_KEY || 'socket.io';
const adapter = process.env.SHARDED === '1'
  ? shardedRedisAdapter({ url: process.env.REDIS_URL, channelPrefix: key })
  : redisAdapter({ url: process.env.REDIS_URL, key });
const io = new Server({ adapter });
io.on('connection', (socket) => {
  socket.join('room1');
  socket.data = { user: 'binding' };
  socket.on('relay', (ev, arg) => io.to('room1').emit(ev, arg));
  socket.on('fetch', async (ack) => {
    const sockets = await io.in('room1').fetchSockets();
    ack(sockets.map((s) => ({ id: s.id, data: s.data, rooms: [...s.rooms] })));
  });
  socket.on('sse', async (ack) => ack(await io.serverSideEmitWithAck('ping-servers', 1)));
  socket.on('join-remote', (id, room, ack) => {
    io.in(id).socketsJoin(room);
    ack();
  });
});
io.on('ping-servers', (n, ack) => ack(`pong-binding-${n}`));
io.listen(0);
console.log(`listening on http://127.0.0.1:${io.port}`);
