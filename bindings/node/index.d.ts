// Type definitions for roomcast (hand-written; mirrors socket.io's Server API).
/// <reference types="node" />
import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

/** The user's own server, whose engine path roomcast takes over (as socket.io's attach). */
export type AttachableServer = HttpServer | HttpsServer;

/**
 * `io.httpServer` when roomcast listens on its own port (`new Server(3000)`): a view of the
 * core's listener, not an http.Server. Emits 'close' once `io.close()` is done.
 */
export interface CoreListener extends EventEmitter {
  /** True from listen() until io.close(). */
  readonly listening: boolean;
  /** As net.Server#address(); null before listen. */
  address(): { address: string; family: string; port: number } | null;
}

export interface CorsOptions {
  /**
   * "*" or true: any origin; false: no CORS headers; a string, a RegExp or an array of
   * them: the allowed origin(s); a function: asked about every request's origin (undefined
   * for a client that is not a browser), `callback(err)` refuses the request with 400,
   * `callback(null, allowed)` (true, false, or a string / RegExp / array to match).
   */
  origin?: '*' | boolean | string | RegExp | Array<string | RegExp> | ((origin: string | undefined, callback: (err: Error | null, allow?: boolean | string | RegExp | Array<string | RegExp>) => void) => void);
  /** Adds Access-Control-Allow-Credentials and reflects the request's origin. */
  credentials?: boolean;
  /** The cors package's default only ("GET,HEAD,PUT,PATCH,POST,DELETE"); others throw naming it. */
  methods?: string | string[];
  /** false only: roomcast answers preflight requests itself. */
  preflightContinue?: false;
  /** 204 only. */
  optionsSuccessStatus?: 204;
}

export interface ServerOptions {
  /** Engine.IO path (default "/socket.io"). */
  path?: string;
  cors?: CorsOptions;
  /** Milliseconds between server pings (default 25000). */
  pingInterval?: number;
  /** Milliseconds to wait for a pong (default 20000). */
  pingTimeout?: number;
  /** Largest accepted message in bytes (default 1e6). */
  maxHttpBufferSize?: number;
  /** Close connections that join no namespace within this time (default 45000 ms). */
  connectTimeout?: number;
  /** Allowed transports (default both). */
  transports?: Array<'polling' | 'websocket'>;
  /** Serve socket.io.min.js under the path (default true; found in node_modules). */
  serveClient?: boolean;
  /** Folder holding socket.io.min.js (normally node_modules/socket.io-client/dist). */
  clientDir?: string;
  /** Folder served for every request outside the Engine.IO path. */
  serveStatic?: string;
  /** Interface to bind (default "::", all interfaces; falls back to 0.0.0.0). */
  host?: string;
  /** Threads of the server's runtime (default: CPU count). */
  workerThreads?: number;
  /** `redisAdapter({ url, key })`: join a Redis cluster (the only adapter accepted). */
  adapter?: ReturnType<typeof redisAdapter>;
  /**
   * socket.io's `allowRequest`: called for every handshake before any session exists;
   * `callback(err, success)`. A refusal answers 403 `{"code":4,"message":err || "Forbidden"}`.
   * An answer that does not come within `allowRequestTimeout` (default 10000 ms) refuses.
   */
  allowRequest?: (req: AllowRequestInfo, callback: (err: string | null | undefined, success: boolean) => void) => void;
  /** How long a handshake waits for `allowRequest`'s callback before it is refused (default 10000 ms). */
  allowRequestTimeout?: number;
  /**
   * engine.io's `generateId`: the Engine.IO id of each connection (`socket.conn.id`), sync
   * or async; 1 to 128 characters of `A-Z a-z 0-9 - _ . ~`, unique (else that handshake is
   * refused with a `connection_error` ID_GENERATION_ERROR).
   */
  generateId?: (req: HandshakeRequest) => string | Promise<string>;
  /** Most binary attachments in one packet (default 10; 0 refuses binary packets). */
  maxAttachments?: number;
  /** Bound of each connection's outbound queue in frames (default 65536, at least 1). */
  maxBufferedFrames?: number;
  /** Bound of each connection's outbound queue in bytes (default 16 MiB); past it the client is dropped ("slow consumer"). */
  maxBufferedBytes?: number;
  /** Drop a connection whose socket takes no bytes for this long while there is something to write (default 20000 ms). */
  writeTimeout?: number;
  /** Time from accept (or the previous response) to complete request headers (default 10000 ms). */
  headerTimeout?: number;
  /** Time to receive a whole polling POST body; then 408 (default 20000 ms). */
  bodyTimeout?: number;
  /** Message events of one connection waiting for handlers; at the limit it is not read (default 128). */
  maxPendingEvents?: number;
  /** Bytes of one connection's events waiting for handlers (default 4 MiB). */
  maxPendingBytes?: number;
  /** Message events of all connections waiting for handlers (default 65536). */
  maxPendingEventsTotal?: number;
  /** Bytes of all connections' events waiting for handlers (default 256 MiB). */
  maxPendingBytesTotal?: number;
  /** Most simultaneous TCP connections; more are closed at accept (default 100000). */
  maxConnections?: number;
  /** Most simultaneous TCP connections from one IP (default 0: no limit). */
  maxConnectionsPerIp?: number;
  /** Engine.IO handshakes per second; past it 429 (default 0: no limit). */
  handshakesPerSec?: number;
  /** Engine.IO handshakes per second from one IP (default 0: no limit). */
  handshakesPerSecPerIp?: number;
  /** Longest namespace or room name in bytes (default 256). */
  maxNameLength?: number;
  /** Most rooms one socket can be in, its own included (default 4096); a join past it throws ERR_INVALID_ARGUMENT. */
  maxRoomsPerSocket?: number;
  /** Remove a dynamic child namespace once its last socket leaves, as socket.io (default false). */
  cleanupEmptyChildNamespaces?: boolean;
  /** With `adapter: redisAdapter(...)`: speak @socket.io/redis-streams-adapter 0.3 (recovery across nodes) instead of the classic adapter (default false). */
  redisStreams?: boolean;
  /** The stream's approximate bound, `maxLen` (default 10000; needs redisStreams). */
  redisStreamMaxLen?: number;
  /**
   * Any other core option under its camelCase name (see the README's option table);
   * an unknown one throws an Error with code "ERR_INVALID_CONFIG" naming it.
   */
  [coreOption: string]: unknown;
  /** engine.io's AttachOptions: on an attached http.Server, end an upgrade of another path no listener answered (default true). */
  destroyUpgrade?: boolean;
  /** Milliseconds before such an upgrade is ended (default 1000). */
  destroyUpgradeTimeout?: number;
  /** Either value: roomcast answers the path with and without its trailing slash. */
  addTrailingSlash?: boolean;
  /** 10000 only (roomcast's upgrade deadline); other values throw naming it. */
  upgradeTimeout?: 10000;
  /** true only; false throws naming it (use transports to turn a transport off). */
  allowUpgrades?: true;
  /** false only: roomcast does not compress long-polling responses. */
  httpCompression?: false;
  /** false only: roomcast sets no session cookie. */
  cookie?: false;
  /** false only: Engine.IO v4 clients. */
  allowEIO3?: false;
  /** Connection state recovery (off unless given), as in socket.io 4.6+. */
  connectionStateRecovery?: ConnectionStateRecoveryOptions;
  /** Serve https / wss (rustls): the PEM certificate chain (leaf first) and key, as https.createServer takes them. */
  tls?: TlsOptions;
  /**
   * socket.io's `parser`: `require('socket.io-msgpack-parser')` (or `'msgpack'`) for the
   * msgpack parser, socket.io-parser or `'json'` (the default) for JSON. Any other parser
   * throws a TypeError naming `parser`. Clients must use the same one.
   */
  parser?: 'json' | 'msgpack' | { Encoder: new () => { encode(packet: unknown): unknown[] }; Decoder: unknown };
  /** Count metrics for `metrics()` (metricsPath turns it on too). */
  metrics?: boolean;
  /** Serve Prometheus metrics (text format 0.0.4) at this path, e.g. '/metrics'. */
  metricsPath?: string;
}

export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
}

/** What `allowRequest` sees of a handshake request (the parts of an IncomingMessage it has). */
export interface AllowRequestInfo {
  method: string;
  url: string;
  headers: Record<string, string>;
  _query: Record<string, string>;
  connection: { remoteAddress: string };
  socket: { remoteAddress: string };
}

export interface ConnectionStateRecoveryOptions {
  /** How long a disconnected socket's state and the sent packets are kept (default 120000 ms). */
  maxDisconnectionDuration?: number;
  /** Skip `use()` middleware for a recovered socket (default true). */
  skipMiddlewares?: boolean;
  /** roomcast: most packets kept per namespace for replay (default 10000). */
  maxPackets?: number;
}

/** The `code` of an Error thrown by roomcast (one per core error). */
export type RoomcastErrorCode =
  | 'ERR_NO_SUCH_NAMESPACE'
  | 'ERR_NO_SUCH_SOCKET'
  | 'ERR_NO_SUCH_REQUEST'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_CONFIG'
  | 'ERR_SERVER_STOPPED'
  | 'ERR_IO';

export interface Handshake {
  headers: Record<string, string>;
  time: string;
  address: string;
  xdomain: boolean;
  secure: boolean;
  issued: number;
  url: string;
  query: Record<string, string>;
  auth: Record<string, any>;
}

export type DisconnectReason =
  | 'transport close'
  | 'transport error'
  | 'ping timeout'
  | 'parse error'
  | 'forced close'
  | 'forced server close'
  | 'server shutting down'
  | 'slow consumer'
  | 'inbound overflow'
  | 'client namespace disconnect'
  | 'server namespace disconnect';

export type Room = string;
export type ExtendedError = Error & { data?: any };

// ---- Typed events, as socket.io's typed-events.ts -----------------------------------
/** A map of event names to listener signatures (socket.io's `EventsMap`). */
export interface EventsMap {
  [event: string]: any;
}
/** The untyped default: any event, any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;
type FallbackToUntypedListener<T> = [T] extends [never] ? (...args: any[]) => void | Promise<void> : T;
export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> = EventNames<Reserved> | EventNames<User>;
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev extends ReservedOrUserEventNames<Reserved, User>> =
  FallbackToUntypedListener<Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never>;
type Last<T extends any[]> = T extends [...infer _H, infer L] ? L : any;
type AllButLast<T extends any[]> = T extends [...infer H, infer _L] ? H : any[];
type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result ? (err: Error, ...args: Params) => Result : T[K];
};
type ExpectMultipleResponses<T extends any[]> = {
  [K in keyof T]: T[K] extends (err: Error, arg: infer Arg) => infer Result ? (err: Error, arg: Arg[]) => Result : T[K];
};
/** Events whose last argument is an ack callback gain the timeout error (socket.timeout()). */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result ? (...args: PrependTimeoutError<Params>) => Result : E[K];
};
/** ... and, for a broadcast, one response per recipient (io.timeout()). */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: ExpectMultipleResponses<PrependTimeoutError<Params>>) => Result
    : E[K];
};
/** The promise emitWithAck gives for an event whose last argument is its ack. */
type AckResult<F> = F extends (...args: infer P) => any ? FirstNonErrorArg<Last<P>> : any;
/** The answer an ack callback receives (after the timeout error, when decorated). */
type FirstNonErrorArg<T> = T extends (...args: infer P) => any ? (P extends [Error, ...infer R] ? R[0] : P[0]) : any;

export interface SocketReservedEvents {
  disconnect: (reason: DisconnectReason, description?: any) => void;
  disconnecting: (reason: DisconnectReason, description?: any) => void;
  error: (err: Error) => void;
}
export interface NamespaceReservedEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  connect: (socket: Socket<L, E, S, D>) => void;
  connection: (socket: Socket<L, E, S, D>) => void;
  /** On the main namespace (io.on): a namespace was made, by io.of(name) or as a dynamic child. */
  new_namespace: (namespace: Namespace<L, E, S, D>) => void;
}
export type Middleware<L extends EventsMap = DefaultEventsMap, E extends EventsMap = L, S extends EventsMap = DefaultEventsMap, D = any> =
  (socket: Socket<L, E, S, D>, next: (err?: ExtendedError) => void) => void;
export type BroadcastAck = (err: Error | null, responses: any[]) => void;

export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  readonly volatile: BroadcastOperator<EmitEvents, SocketData>;
  readonly local: BroadcastOperator<EmitEvents, SocketData>;
  compress(compress?: boolean): this;
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData>;
  /** A function as last argument collects the acks: (err, responses). */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<AckResult<EmitEvents[Ev]>>;
  fetchSockets(): Promise<Array<RemoteSocket<EmitEvents, SocketData>>>;
  /** The ids of the selected sockets (socket.io's deprecated allSockets()). */
  allSockets(): Promise<Set<string>>;
  socketsJoin(room: Room | Room[]): void;
  socketsLeave(room: Room | Room[]): void;
  disconnectSockets(close?: boolean): void;
}

/** What `socket.request` is: the parts of the handshake's request. */
export interface HandshakeRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  connection: { remoteAddress?: string; encrypted?: boolean };
  socket: { remoteAddress?: string; encrypted?: boolean };
  _query: Record<string, string>;
  session?: any;
  [key: string]: any;
}

/** The `res` an engine middleware gets: a ServerResponse-like object that collects headers. */
export interface EngineResponse extends EventEmitter {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string | number | readonly string[]): this;
  getHeader(name: string): string | number | string[] | undefined;
  getHeaders(): Record<string, string | number | string[] | undefined>;
  hasHeader(name: string): boolean;
  removeHeader(name: string): void;
  writeHead(status: number, headers?: Record<string, string | string[]>): this;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array | (() => void), cb?: () => void): this;
}

/** engine.io's `connection_error` event: socket.io's codes 0 to 5 and their messages. */
export interface EngineConnectionError {
  req: HandshakeRequest;
  /** 0 "Transport unknown", 1 "Session ID unknown", 2 "Bad handshake method", 3 "Bad request", 4 "Forbidden", 5 "Unsupported protocol version". */
  code: 0 | 1 | 2 | 3 | 4 | 5;
  message: string;
  /** engine.io's context: `{ sid }`, `{ transport }`, `{ method }`, `{ protocol }`, `{ message }`, `{ name, ... }`. */
  context: Record<string, any>;
}

/** `io.engine`: socket.io's Engine.IO server object. */
export interface Engine extends EventEmitter {
  readonly clientsCount: number;
  /**
   * Engine middleware (connect/express style, e.g. express-session), run on each
   * handshake request; `req` becomes `socket.request`, headers set on `res` go into the
   * handshake's response. `next(err)` refuses with 400 and a `connection_error`.
   */
  use(fn: (req: HandshakeRequest, res: EngineResponse, next: (err?: any) => void) => void): this;
  /** engine.io's generateId hook (also the `generateId` option). */
  generateId: ((req: HandshakeRequest) => string | Promise<string>) | undefined;
  on(ev: 'connection_error', listener: (err: EngineConnectionError) => void): this;
  /** Add or change the handshake response's headers (`headers` and `connection` throw). */
  on(ev: 'initial_headers', listener: (headers: Record<string, string | string[]>, req: HandshakeRequest) => void): this;
  on(ev: string, listener: (...args: any[]) => void): this;
}

/** `socket.conn`: the Engine.IO connection, shared by a client's sockets of every namespace. */
export interface EngineConnection extends EventEmitter {
  /** The Engine.IO id (random, or `generateId`'s). */
  readonly id: string;
  readonly request: HandshakeRequest;
  readonly protocol: number;
  readonly remoteAddress: string;
  /** 'open' while connected, then 'closed'. */
  readonly readyState: 'open' | 'closed';
  /** Whether the connection is on WebSocket now. */
  readonly upgraded: boolean;
  /** The transport now: its name is 'polling' or 'websocket' (live). */
  readonly transport: { readonly name: 'polling' | 'websocket'; readonly writable: boolean };
  /** Closes the connection: its sockets disconnect with "forced close". */
  close(): this;
  on(ev: 'upgrade', listener: (transport: { readonly name: 'polling' | 'websocket' }) => void): this;
  on(ev: 'close', listener: (reason: string) => void): this;
  on(ev: string, listener: (...args: any[]) => void): this;
  once(ev: 'upgrade', listener: (transport: { readonly name: 'polling' | 'websocket' }) => void): this;
  once(ev: string, listener: (...args: any[]) => void): this;
}

/** The events of `io.of(nsp).adapter` (socket.io's in-memory adapter's). */
export interface AdapterEvents {
  /** A room came into being on this node (a socket's own room too); its first join-room follows. */
  'create-room': (room: Room) => void;
  /** A room lost its last member on this node, after that member's leave-room. */
  'delete-room': (room: Room) => void;
  /** Socket `id` joined `room` (not again for a room it is in). */
  'join-room': (room: Room, id: string) => void;
  /** Socket `id` left `room` (on disconnect, one per room, in the order it joined them). */
  'leave-room': (room: Room, id: string) => void;
}

/**
 * The read-only view of a namespace's rooms (`io.of(nsp).adapter`), and its room events:
 * listening to one turns the core's reports on for the namespace. Events are of this
 * node's sockets only (as socket.io's Redis adapter) and arrive through the event queue.
 */
export interface Adapter extends EventEmitter {
  readonly nsp: Namespace<any, any, any, any>;
  /** Room -> ids of this node's sockets in it (a snapshot read from the core). */
  readonly rooms: Map<Room, Set<string>>;
  /** Socket id -> its rooms (a snapshot read from the core). */
  readonly sids: Map<string, Set<Room>>;
  /** Every room of every node of the cluster. */
  allRooms(): Promise<Set<Room>>;
  /** Nodes in the cluster (1 without one). */
  serverCount(): Promise<number>;
  on<Ev extends keyof AdapterEvents>(ev: Ev, listener: AdapterEvents[Ev]): this;
  on(ev: string | symbol, listener: (...args: any[]) => void): this;
  once<Ev extends keyof AdapterEvents>(ev: Ev, listener: AdapterEvents[Ev]): this;
  once(ev: string | symbol, listener: (...args: any[]) => void): this;
}

export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends EventEmitter {
  readonly id: string;
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly handshake: Handshake;
  readonly request: HandshakeRequest;
  /** The Engine.IO connection (transport, upgrade event, close()). */
  readonly conn: EngineConnection;
  /** socket.io's `socket.client`: one object for the sockets of one connection. */
  readonly client: Client<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  data: SocketData;
  connected: boolean;
  readonly disconnected: boolean;
  readonly recovered: boolean;
  /** Rooms the socket is in, its own id included (a new Set each time). */
  readonly rooms: Set<Room>;
  join(rooms: Room | Room[]): void;
  leave(room: Room): void;
  /** A function as last argument receives the client's ack arguments. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<AckResult<EmitEvents[Ev]>>;
  send(...args: any[]): this;
  write(...args: any[]): this;
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  readonly broadcast: BroadcastOperator<EmitEvents, SocketData>;
  readonly volatile: this;
  readonly local: BroadcastOperator<EmitEvents, SocketData>;
  compress(compress?: boolean): this;
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData>;
  disconnect(close?: boolean): this;
  use(fn: (packet: [string, ...any[]], next: (err?: Error) => void) => void): this;
  onAny(listener: (ev: string, ...args: any[]) => void): this;
  prependAny(listener: (ev: string, ...args: any[]) => void): this;
  offAny(listener?: (ev: string, ...args: any[]) => void): this;
  listenersAny(): Array<(ev: string, ...args: any[]) => void>;
  onAnyOutgoing(listener: (ev: string, ...args: any[]) => void): this;
  prependAnyOutgoing(listener: (ev: string, ...args: any[]) => void): this;
  offAnyOutgoing(listener?: (ev: string, ...args: any[]) => void): this;
  listenersAnyOutgoing(): Array<(ev: string, ...args: any[]) => void>;
  on<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(ev: Ev, listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>): this;
  once<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(ev: Ev, listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>): this;
}

export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends EventEmitter {
  readonly name: string;
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly sockets: Map<string, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
  readonly adapter: Adapter;
  use(fn: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this;
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  readonly volatile: BroadcastOperator<EmitEvents, SocketData>;
  readonly local: BroadcastOperator<EmitEvents, SocketData>;
  compress(compress?: boolean): BroadcastOperator<EmitEvents, SocketData>;
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData>;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<Array<AckResult<EmitEvents[Ev]>>>;
  send(...args: any[]): this;
  write(...args: any[]): this;
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean;
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: AllButLast<EventParams<ServerSideEvents, Ev>>): Promise<Array<AckResult<ServerSideEvents[Ev]>>>;
  fetchSockets(): Promise<Array<RemoteSocket<EmitEvents, SocketData>>>;
  /** The ids of the selected sockets (socket.io's deprecated allSockets()). */
  allSockets(): Promise<Set<string>>;
  socketsJoin(room: Room | Room[]): void;
  socketsLeave(room: Room | Room[]): void;
  disconnectSockets(close?: boolean): void;
  on<Ev extends ReservedOrUserEventNames<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents, Ev>,
  ): this;
  once<Ev extends ReservedOrUserEventNames<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents, Ev>,
  ): this;
}

/** socket.io's Client (`socket.client`): the connection a client's sockets share. */
export interface Client<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents, ServerSideEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  readonly conn: EngineConnection;
  /** The Engine.IO id (conn.id). */
  readonly id: string;
  readonly request: HandshakeRequest;
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
}

/** A socket as fetchSockets() returns it (this node's or another's in a Redis cluster). */
export interface RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  readonly id: string;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  join(room: Room | Room[]): void;
  leave(room: Room | Room[]): void;
  disconnect(close?: boolean): this;
  timeout(ms: number): RemoteSocket<DecorateAcknowledgements<EmitEvents>, SocketData>;
}

/** Options of redisAdapter(): the Redis URL, the channel prefix (`key`, default "socket.io")
 * and how long cluster requests wait for other nodes (`requestsTimeout`, default 5000 ms). */
export interface RedisAdapterOptions {
  url?: string;
  key?: string;
  requestsTimeout?: number;
  /** The sharded variant (`createShardedAdapter`, Redis 7); default false. */
  sharded?: boolean;
  /** The sharded adapter's `subscriptionMode` (default "dynamic"). */
  subscriptionMode?: "dynamic" | "dynamic-private" | "static";
}

/** Joins a Redis cluster in @socket.io/redis-adapter's format: `new Server(port, { adapter: redisAdapter({ url }) })`. */
export declare function redisAdapter(opts?: RedisAdapterOptions | string): { readonly __roomcastRedis: true };

/** Joins a cluster of Node servers using `createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode })`. */
export declare function shardedRedisAdapter(
  opts?: (Omit<RedisAdapterOptions, "sharded" | "key"> & { channelPrefix?: string; key?: string }) | string,
): { readonly __roomcastRedis: true };

/** Publishes into a Redis cluster without a server, like @socket.io/redis-emitter. */
export declare class Emitter {
  constructor(opts?: { url?: string; key?: string } | string);
  of(nsp: string): Emitter;
  to(room: Room | Room[]): Emitter;
  in(room: Room | Room[]): Emitter;
  except(room: Room | Room[]): Emitter;
  emit(ev: string, ...args: any[]): true;
  socketsJoin(rooms: Room | Room[]): void;
  socketsLeave(rooms: Room | Room[]): void;
  disconnectSockets(close?: boolean): void;
  serverSideEmit(ev: string, ...args: any[]): void;
}

export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
}

export type DynamicNamespace = RegExp | ((name: string, auth: Record<string, any>, next: (err: Error | null, ok: boolean) => void) => void);

/**
 * socket.io's Server with its four type parameters: events the clients send
 * (ListenEvents), events sent to them (EmitEvents), serverSideEmit events between nodes
 * (ServerSideEvents) and the type of `socket.data` (SocketData).
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> {
  constructor(port?: number, opts?: ServerOptions);
  constructor(srv: AttachableServer, opts?: ServerOptions);
  constructor(opts?: ServerOptions);
  /**
   * The http.Server attached to (new Server(httpServer), attach, listen); on roomcast's own
   * port a CoreListener (its address()); null before listen.
   */
  readonly httpServer: AttachableServer | CoreListener | null;
  readonly opts: ServerOptions;
  /** The Engine.IO server object (clientsCount, use, connection_error). */
  readonly engine: Engine;
  /** The main namespace ("/"). */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The port listened on (after listen). */
  readonly port: number | undefined;
  address(): { address: string; family: string; port: number } | string | null;
  listen(srv: number | AttachableServer, opts?: ServerOptions): this;
  attach(srv: number | AttachableServer, opts?: ServerOptions): this;
  of(name: string, fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  of(name: DynamicNamespace, fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  use(fn: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this;
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData>;
  readonly volatile: BroadcastOperator<EmitEvents, SocketData>;
  readonly local: BroadcastOperator<EmitEvents, SocketData>;
  compress(compress?: boolean): BroadcastOperator<EmitEvents, SocketData>;
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData>;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<Array<AckResult<EmitEvents[Ev]>>>;
  send(...args: any[]): this;
  write(...args: any[]): this;
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean;
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: AllButLast<EventParams<ServerSideEvents, Ev>>): Promise<Array<AckResult<ServerSideEvents[Ev]>>>;
  fetchSockets(): Promise<Array<RemoteSocket<EmitEvents, SocketData>>>;
  /** The ids of the selected sockets (socket.io's deprecated allSockets()). */
  allSockets(): Promise<Set<string>>;
  socketsJoin(room: Room | Room[]): void;
  socketsLeave(room: Room | Room[]): void;
  disconnectSockets(close?: boolean): void;
  /** Disconnects everyone and stops; afterwards nothing of the server keeps the process alive. */
  close(fn?: (err?: Error) => void): Promise<void>;
  /** Replaces the TLS certificate and key for new connections (throws when they do not load). */
  setSecureContext(options: TlsOptions): void;
  /** The server's metrics now (needs `metrics: true` or `metricsPath`). */
  metrics(): MetricsSnapshot;
  on<Ev extends ReservedOrUserEventNames<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents, Ev>,
  ): this;
  once<Ev extends ReservedOrUserEventNames<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents, Ev>,
  ): this;
  off(ev: string, listener: (...args: any[]) => void): this;
  listeners(ev: string): Function[];
  listenerCount(ev: string): number;
}

/** `require('roomcast')(port, opts)`, like socket.io's default export. */
declare function roomcast(port?: number, opts?: ServerOptions): Server;
declare function roomcast(opts?: ServerOptions): Server;
export default roomcast;
/** One log record (see README "Logs"). */
export interface LogRecord {
  level: 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Origin, e.g. "roomcast::socket". */
  target: string;
  message: string;
  /** The stable fields `sid`, `nsp`, `transport`, `reason` (and others) the record has. */
  fields: Record<string, string>;
}
/**
 * Sends every log record that passes the filter to `fn` (on the JavaScript thread); `null`
 * stops. Process-wide. Replaces the `DEBUG=roomcast:*` printer.
 */
export declare function setLogger(fn: ((record: LogRecord) => void) | null): void;
/**
 * The log filter in RUST_LOG syntax ("debug", "roomcast::socket=debug,warn", "off"); `null`
 * goes back to ROOMCAST_LOG, else RUST_LOG, else off (the default).
 */
export declare function setLogFilter(filter: string | null): void;
/** The roomcast version, e.g. "0.1.0" (the same as package.json's and the native module's). */
export declare const version: string;

/** What `Server#metrics()` returns (counters only grow; the maps are gauges). */
export interface MetricsSnapshot {
  sockets: Record<string, number>;
  rooms: Record<string, number>;
  sessions: { polling: number; websocket: number };
  connects: number;
  disconnects: Record<string, number>;
  upgrades: number;
  events_received: number;
  packets_sent: number;
  bytes_in: number;
  bytes_out: number;
  broadcasts: number;
  deliveries: number;
  acks_pending: number;
  acks_timed_out: number;
  slow_consumer_disconnects: number;
  volatile_drops: number;
  adapter_publish_errors: number;
  adapter_dropped_messages: number;
  handshake_seconds: { count: number; sum: number; buckets: [number, number][] };
}

/** @socket.io/admin-ui's `instrument` options (the dashboard's server side, run by the core). */
export interface InstrumentOptions {
  /** Required: false (no login) or basic auth with a bcrypt hash of the password. */
  auth: false | { type: 'basic'; username: string; password: string };
  /** Refuse the dashboard's join, leave, disconnect and emit actions (default false). */
  readonly?: boolean;
  /** "development" shows every socket and event; "production" the stats only (default NODE_ENV or "development"). */
  mode?: 'development' | 'production';
  /** The admin namespace (default "/admin"). */
  namespaceName?: string;
  /** This node in the dashboard's servers list (default the host name). */
  serverId?: string;
}

/** Serves the Socket.IO admin UI on `io` (before or after listen; once). */
export function instrument(io: Server, options: InstrumentOptions): void;
