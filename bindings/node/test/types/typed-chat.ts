// A typed program as socket.io's TypeScript docs write it, with roomcast's import:
// checked by `tsc --noEmit` (test/types.test.js). The @ts-expect-error lines must fail to
// compile: they prove the type parameters are enforced, not just accepted.
import * as http from 'node:http';
import { Server, Socket } from 'roomcast';

interface ServerToClientEvents {
  noArg: () => void;
  basicEmit: (a: number, b: string, c: Buffer) => void;
  withAck: (d: string, callback: (e: number) => void) => void;
}

interface ClientToServerEvents {
  hello: () => void;
  chat: (text: string, ack: (delivered: boolean) => void) => void;
}

interface InterServerEvents {
  ping: () => void;
}

interface SocketData {
  name: string;
  age: number;
}

const httpServer = http.createServer();
const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(httpServer, {
  cors: { origin: ['https://example.com'] },
});

io.on('connection', (socket) => {
  socket.emit('noArg');
  socket.emit('basicEmit', 1, '2', Buffer.from([3]));
  socket.emit('withAck', '4', (e) => {
    const n: number = e;
    void n;
  });
  io.emit('noArg');
  io.to('room1').emit('basicEmit', 1, '2', Buffer.from([3]));
  socket.on('hello', () => {});
  socket.on('chat', (text, ack) => {
    const t: string = text;
    void t;
    ack(true);
  });
  socket.on('disconnect', (reason) => {
    const r: string = reason;
    void r;
  });
  socket.data.name = 'john';
  socket.data.age = 42;
  const url: string = socket.request.url;
  void url;
  // @ts-expect-error: basicEmit takes (number, string, Buffer)
  socket.emit('basicEmit', 'not a number', '2', Buffer.from([3]));
  // @ts-expect-error: no such server-to-client event
  socket.emit("nope");
  // @ts-expect-error: SocketData.age is a number
  socket.data.age = 'old';
  // @ts-expect-error: chat's text is a string
  socket.on('chat', (text: number) => void text);
});

io.serverSideEmit('ping');
// @ts-expect-error: ping takes no argument
io.serverSideEmit('ping', 1);

async function acks(): Promise<void> {
  const replies: number[] = await io.timeout(1000).emitWithAck('withAck', '4');
  void replies;
  io.timeout(1000).emit('withAck', '4', (err, responses) => {
    const e: Error = err;
    const r: number[] = responses;
    void e;
    void r;
  });
  const sockets = await io.fetchSockets();
  for (const s of sockets) {
    const name: string = s.data.name;
    void name;
  }
}
void acks;

function onSocket(socket: Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>): void {
  socket.join('room1');
}
io.on('connection', onSocket);

void io.of('/').adapter.serverCount();
io.of('/').adapter.on('join-room', (room, id) => {
  const r: string = room;
  const who: string = id;
  void [r, who];
});
io.of('/').adapter.on('delete-room', (room) => void room.length);

const size: number | undefined = io.sockets.adapter.rooms.get('room1')?.size;
void size;
const count: number = io.engine.clientsCount;
void count;

// io.engine: middleware, generateId, connection_error; socket.conn.
io.engine.use((req, res, next) => {
  res.setHeader('X-Seen', req.url);
  next();
});
io.engine.generateId = (req) => `id-${req._query.user}`;
io.engine.on('connection_error', (err) => {
  const code: 0 | 1 | 2 | 3 | 4 | 5 = err.code;
  void [code, err.message, err.context, err.req.url];
});
io.on('connection', (socket) => {
  const name: 'polling' | 'websocket' = socket.conn.transport.name;
  void name;
  socket.conn.once('upgrade', (transport) => void transport.name);
  // @ts-expect-error the transport name is one of two
  const wrong: 'carrier' = socket.conn.transport.name;
  void wrong;
  if (socket.conn.readyState === 'open') socket.conn.close();
});

// socket.client, allSockets(), new_namespace, io.httpServer on the own port.
io.on('connection', (socket) => {
  const sameConn: boolean = socket.client.conn === socket.conn;
  void [sameConn, socket.client.id, socket.client.request.headers];
});
void io.allSockets().then((ids) => ids.has('x'));
void io.to('r').allSockets().then((ids: Set<string>) => ids.size);
io.on('new_namespace', (nsp) => void nsp.name);
const bound = io.httpServer?.address();
void (bound && typeof bound === 'object' ? bound.port : 0);

// Untyped use keeps working.
const plain = new Server(3000);
plain.on('connection', (socket) => {
  socket.emit('anything', 1, 'two', { three: 3 });
  socket.on('whatever', (...args: unknown[]) => void args);
});
