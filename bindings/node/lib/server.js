'use strict';
// Server: socket.io's Server API over the native roomcast server.

const path = require('node:path');
const { Namespace, ParentNamespace } = require('./namespace');
const { Socket, buildHandshake } = require('./socket');
const { decode } = require('./payload');
const { report, timeoutError } = require('./errors');
const { takeOver, isHttpServer, destroyUnhandledUpgrades } = require('./attach');
const { Engine } = require('./engine');
const { CoreListener, ownOptions } = require('./listener');
const { SOCKET_IO_OPTIONS, checkOptions, corsOptions, decideOrigin } = require('./options');

/** The core needs a bound: "no timeout" acks wait this long (one year). */
const NO_TIMEOUT_MS = 365 * 24 * 3600 * 1000;

const DEFAULTS = {
  path: '/socket.io',
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  connectTimeout: 45000,
  transports: ['polling', 'websocket'],
  serveClient: true,
  host: '::',
};

// Proxied to the main namespace, as socket.io does.
const EMITTER_METHODS = [
  'on', 'once', 'off', 'addListener', 'removeListener', 'prependListener', 'prependOnceListener',
  'removeAllListeners', 'listeners', 'rawListeners', 'listenerCount', 'eventNames',
];

const RECOVERY_DEFAULTS = { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true, maxPackets: 10000 };

/**
 * `connectionStateRecovery` as socket.io takes it (an object; `true` means the defaults),
 * plus roomcast's `maxPackets` (the replay buffer bound). Unknown keys and bad values throw.
 */
function recoveryOptions(csr) {
  if (csr === undefined || csr === null || csr === false) return null;
  if (csr === true) csr = {};
  if (typeof csr !== 'object' || Array.isArray(csr)) {
    throw new TypeError('connectionStateRecovery must be an object');
  }
  for (const k of Object.keys(csr)) {
    if (!(k in RECOVERY_DEFAULTS)) throw new TypeError(`connectionStateRecovery.${k} is not supported`);
  }
  const o = { ...RECOVERY_DEFAULTS, ...csr };
  if (typeof o.maxDisconnectionDuration !== 'number' || !(o.maxDisconnectionDuration >= 0)) {
    throw new TypeError('connectionStateRecovery.maxDisconnectionDuration must be a number of milliseconds');
  }
  if (typeof o.skipMiddlewares !== 'boolean') {
    throw new TypeError('connectionStateRecovery.skipMiddlewares must be a boolean');
  }
  if (!Number.isInteger(o.maxPackets) || o.maxPackets < 1) {
    throw new TypeError('connectionStateRecovery.maxPackets must be a positive integer');
  }
  return o;
}

/**
 * Options this layer handles itself (socket.io's names and shapes); every other option goes
 * to the core under its own name (the core's option names in camelCase, see the README's
 * option table), and the core refuses an unknown one with an ERR_INVALID_CONFIG error
 * naming it.
 */
const LAYER_OPTIONS = new Set(['serveClient', 'clientDir', 'serveStatic', 'transports', 'cors', 'maxHttpBufferSize', 'connectionStateRecovery', 'adapter', 'allowRequest', 'tls', 'parser', 'perMessageDeflate', 'generateId']);
/** socket.io's options that are also the core's, under the same name and unit. */
const CORE_NAMED = new Set(['path', 'pingTimeout', 'pingInterval', 'connectTimeout', 'cleanupEmptyChildNamespaces']);
// The rest of socket.io's options are checked and handled here (see options.js).
for (const name of SOCKET_IO_OPTIONS.keys()) if (!CORE_NAMED.has(name)) LAYER_OPTIONS.add(name);

/** `{type: 2, nsp: "/", data: ["e", 1]}` as msgpack: what a msgpack parser's Encoder writes. */
const MSGPACK_PROBE = Buffer.from([0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f, 0xa4, 0x64, 0x61, 0x74, 0x61, 0x92, 0xa1, 0x65, 0x01]);

/**
 * socket.io's `parser` option as the core's: the core speaks socket.io-parser ("json", the
 * default) and socket.io-msgpack-parser ("msgpack"), so a parser object is recognised by
 * what its Encoder writes for a probe packet (the module itself, or any parser with the
 * same wire format); the names "json" and "msgpack" work too. Any other parser throws.
 */
function parserName(parser) {
  if (parser === undefined || parser === null || parser === 'json' || parser === 'msgpack') return parser ?? undefined;
  let out;
  try {
    out = new parser.Encoder().encode({ type: 2, nsp: '/', data: ['e', 1] });
  } catch {
    out = undefined;
  }
  if (Array.isArray(out) && out.length === 1) {
    if (out[0] === '2["e",1]') return 'json';
    if (out[0] instanceof Uint8Array && Buffer.from(out[0]).equals(MSGPACK_PROBE)) return 'msgpack';
  }
  throw new TypeError('parser: only socket.io-parser (the default) and socket.io-msgpack-parser are supported (or the names "json" and "msgpack")');
}

/**
 * `tls: { cert, key }` as https.createServer takes them: PEM text (string or Buffer), the
 * certificate chain leaf first; both are required, other keys throw. Returns the core's
 * `tlsCert`/`tlsKey` (PEM text, which the core tells from a file path by its
 * "-----BEGIN" start), or null.
 */
function tlsOptions(tls) {
  if (tls === undefined || tls === null || tls === false) return null;
  if (typeof tls !== 'object' || Array.isArray(tls)) throw new TypeError('tls must be an object { cert, key }');
  for (const k of Object.keys(tls)) {
    if (k !== 'cert' && k !== 'key') throw new TypeError(`tls.${k} is not supported (tls takes cert and key)`);
  }
  const pem = (v, name) => {
    if (typeof v === 'string') return v;
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    throw new TypeError(`tls.${name} must be PEM text (a string or a Buffer)`);
  };
  return { tlsCert: pem(tls.cert, 'cert'), tlsKey: pem(tls.key, 'key') };
}

/**
 * socket.io's `perMessageDeflate` (false by default; true or ws's options object) as the
 * core's per_message_deflate options. Of ws's sub-options, `threshold` is honoured;
 * `serverNoContextTakeover` and `clientNoContextTakeover` may be true (roomcast always
 * agrees on both: no compression state per connection); any other is refused by name.
 */
function deflateOptions(pmd) {
  if (pmd === undefined || pmd === false) return pmd === false ? { perMessageDeflate: false } : {};
  if (pmd === true) return { perMessageDeflate: true };
  if (typeof pmd !== 'object' || pmd === null || Array.isArray(pmd)) {
    throw new TypeError('perMessageDeflate must be a boolean or an options object { threshold }');
  }
  const out = { perMessageDeflate: true };
  for (const [k, v] of Object.entries(pmd)) {
    if (v === undefined) continue;
    if (k === 'threshold') {
      if (!Number.isInteger(v) || v < 0) throw new TypeError('perMessageDeflate.threshold must be a non-negative integer (bytes)');
      out.perMessageDeflateThreshold = v;
    } else if (k === 'serverNoContextTakeover' || k === 'clientNoContextTakeover') {
      if (v !== true) throw new TypeError(`perMessageDeflate.${k}: only true is supported (roomcast keeps no compression context between messages, so memory per connection stays bounded)`);
    } else {
      throw new TypeError(`perMessageDeflate.${k} is not supported (roomcast takes threshold, serverNoContextTakeover: true and clientNoContextTakeover: true)`);
    }
  }
  return out;
}

/** The core's options; `port` null: attached to the user's http.Server (no listener). */
function nativeOptions(o, port, recovery, redis, routes) {
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    if (!LAYER_OPTIONS.has(k) && v !== undefined) out[k] = v;
  }
  const transports = o.transports || DEFAULTS.transports;
  if (port === null) {
    out.listen = false;
  } else {
    out.host = String(o.host);
    out.port = Number(port) || 0;
  }
  if (o.maxHttpBufferSize !== undefined) out.maxPayload = o.maxHttpBufferSize;
  Object.assign(out, deflateOptions(o.perMessageDeflate));
  const parser = parserName(o.parser);
  if (parser !== undefined) out.parser = parser;
  out.allowPolling = transports.includes('polling');
  out.allowWebsocket = transports.includes('websocket');
  const cors = corsOptions(o.cors);
  if (cors) Object.assign(out, cors.native);
  if (o.serveStatic) out.staticDir = path.resolve(o.serveStatic);
  let clientDir = o.clientDir || null;
  if (!clientDir && o.serveClient) clientDir = findClientDir();
  if (clientDir) out.clientDistDir = path.resolve(clientDir);
  if (recovery) {
    out.recoveryMaxDisconnectionDuration = recovery.maxDisconnectionDuration;
    out.recoverySkipMiddlewares = recovery.skipMiddlewares;
    out.recoveryMaxPackets = recovery.maxPackets;
  }
  if (redis) {
    out.redisUrl = redis.url;
    if (redis.key !== undefined) out.redisKey = redis.key;
    if (redis.requestsTimeout !== undefined) out.redisRequestTimeout = redis.requestsTimeout;
    if (redis.sharded !== undefined) out.redisSharded = !!redis.sharded;
    if (redis.subscriptionMode !== undefined) out.redisSubscriptionMode = redis.subscriptionMode;
  }
  if (o.allowRequest !== undefined && o.allowRequest !== null) {
    if (typeof o.allowRequest !== 'function') throw new TypeError('allowRequest must be a function (req, callback)');
    // The core asks about every handshake (an "allow_request" event, see engine.js).
    out.allowRequest = true;
  }
  const tls = tlsOptions(o.tls);
  if (tls) Object.assign(out, tls);
  // Connection handlers run before the client sees CONNECT, as with socket.io.
  out.holdConnect = true;
  if (routes.size > 0) out.plainRoutes = [...routes.values()].map((r) => [r.path, r._nativeOptions()]);
  return out;
}

/** Errors of commands on a socket, namespace or request that is gone: not the caller's fault. */
const GONE = new Set(['ERR_SERVER_STOPPED', 'ERR_NO_SUCH_SOCKET', 'ERR_NO_SUCH_NAMESPACE', 'ERR_NO_SUCH_REQUEST']);

function findClientDir() {
  const from = [process.cwd()];
  if (require.main && require.main.path) from.push(require.main.path);
  try {
    return path.join(path.dirname(require.resolve('socket.io-client/package.json', { paths: from })), 'dist');
  } catch {
    return null;
  }
}

/** The Redis options of `opts.adapter` (from redisAdapter()), or null; throws otherwise. */
function redisOptions(a) {
  if (a === undefined || a === null) return null;
  const { REDIS } = require('./cluster');
  if (a[REDIS]) return a[REDIS];
  throw new TypeError('adapter: the only supported adapter is roomcast.redisAdapter({ url, key }) (or shardedRedisAdapter): the cluster is joined in Rust, a Node adapter class cannot run here');
}

class Server {
  /**
   * new Server(port[, options]), new Server(options) then listen(port).
   * Options: path, cors {origin, credentials}, pingInterval, pingTimeout,
   * maxHttpBufferSize, connectTimeout, transports, serveClient, clientDir (folder of
   * socket.io.min.js; found in node_modules when serveClient is on), serveStatic (a folder
   * served for every other path), host (default "::", all interfaces), workerThreads,
   * tls { cert, key } (PEM, as https.createServer: serves https / wss).
   */
  constructor(srv, opts) {
    if (srv !== null && typeof srv === 'object' && !Array.isArray(srv) && !isHttpServer(srv)) {
      opts = srv;
      srv = undefined;
    }
    checkOptions(opts);
    this.opts = { ...DEFAULTS, ...(opts || {}) };
    this._nsps = new Map();
    this._parents = [];
    this._native = null;
    this._closed = false;
    this._acks = new Map();
    this._timers = new Set();
    this._onClosed = [];
    this._requests = new Map();
    this._nextRequest = 0;
    this.httpServer = null;
    this._release = null;
    this._attachStats = { adopted: 0, bridged: 0 };
    this.engine = new Engine(this);
    /** Plain WebSocket routes by path (see ws()). */
    this._routes = new Map();
    this._admin = null;
    /** Namespaces whose room events something listens to (see lib/adapter.js). */
    this._roomWatch = new Set();
    this.sockets = this.of('/');
    if (srv !== undefined && srv !== null) this.listen(srv);
  }

  /**
   * listen(port[, opts]): roomcast's own listener (port 0 picks a free one: see `port`).
   * listen(httpServer[, opts]): serves the engine path of the user's http/https server,
   * as socket.io's attach; every other request stays with its own listeners.
   */
  listen(srv, opts) {
    if (this._native) {
      if (!this._stopped) throw new Error('already listening');
      // Listening again once close() is done, as socket.io allows: a new core server.
      this._native = null;
      this._closed = false;
      this._stopped = false;
      this.httpServer = null;
    }
    if (opts) {
      checkOptions(opts);
      this.opts = { ...this.opts, ...opts };
    }
    const attached = isHttpServer(srv);
    if (!attached && srv !== undefined && !(Number.isInteger(Number(srv)) && Number(srv) >= 0)) {
      throw new TypeError('listen/attach takes a port number or an http.Server');
    }
    const { NativeServer } = require('./native');
    const recovery = recoveryOptions(this.opts.connectionStateRecovery);
    const redis = redisOptions(this.opts.adapter);
    this._recovery = !!recovery;
    const cors = corsOptions(this.opts.cors);
    /** cors.origin as a function: asked about each request (`cors_origin` events). */
    this._originFn = cors && cors.originFn;
    // instrument() called before listen(): the admin UI starts with the server.
    const options = { ...nativeOptions(this.opts, attached ? null : srv, recovery, redis, this._routes), ...(this._admin || {}) };
    if (this.opts.generateId !== undefined && typeof this.opts.generateId !== 'function') {
      throw new TypeError('generateId must be a function (req) => string');
    }
    // Engine middlewares and generateId run in the handshake round trip (see engine.js).
    if (this.engine._asks()) options.allowRequest = true;
    this._native = new NativeServer(ownOptions(options), (ev) => this._onEvent(ev));
    this.engine._started();
    for (const name of this._roomWatch) this._command('observeRooms', name);
    this._clustered = !!redis;
    if (attached) {
      this.httpServer = srv;
      // The engine path and each plain WebSocket route's path go to the core; given back
      // in the reverse order on close.
      const paths = [this.opts.path, ...this._routes.keys()];
      const releases = paths.map((p) => takeOver(srv, p, this._native, this._attachStats));
      if (this.opts.destroyUpgrade !== false) releases.push(destroyUnhandledUpgrades(srv, paths, this.opts.destroyUpgradeTimeout ?? 1000));
      this._release = () => {
        for (const r of releases.reverse()) r();
      };
    } else {
      // The core's own listener, as socket.io's io.httpServer (see listener.js).
      this.httpServer = new CoreListener(this);
    }
    for (const nsp of this._nsps.values()) this._declare(nsp);
    for (const p of this._parents) this._declareDynamic(p);
    return this;
  }

  /**
   * A plain WebSocket route at `path` (before listen()), in the shape of the `ws` module's
   * WebSocketServer: `connection` handlers get each connection (`send`, `close(code,
   * reason)`, `join`/`leave` rooms shared with Socket.IO sockets, events `message` and
   * `close`). Options: `delivery` ("json_array", the default: a Socket.IO emit to a room
   * arrives as the text `["event",...args]`; "first_arg": its first argument alone),
   * `rooms` (joined from the start), `relayEvent` (text from the connection also goes to
   * its rooms as that Socket.IO event), `namespace` (default "/"), `maxPayload` /
   * `maxMessageSize` (bytes; bigger closes with 1009), `pingInterval`, `pingTimeout` (ms),
   * `verifyClient(info, cb)` (ws's check before the 101). Invalid ones throw
   * ERR_INVALID_CONFIG at listen(), naming the option.
   */
  ws(path, options) {
    if (this._native) throw new Error('ws() must be called before listen()');
    const { WebSocketRoute } = require('./plain');
    const route = new WebSocketRoute(this, path, options);
    if (this._routes.has(route.path)) throw new Error(`a route is already at ${route.path}`);
    this._routes.set(route.path, route);
    return route;
  }

  /**
   * Sets the adapter before listen(): only `roomcast.redisAdapter({ url, key })` (the
   * cluster is joined in Rust; Node adapter factories cannot run here). Without an
   * argument, returns the current one.
   */
  adapter(a) {
    if (a === undefined) return this.opts.adapter;
    if (this._native) throw new Error('adapter() must be called before listen()');
    redisOptions(a);
    this.opts = { ...this.opts, adapter: a };
    return this;
  }

  /**
   * `socket.request` for a handshake from the core: an object with its parts, as
   * socket.io's `request` (method, url, headers, connection.remoteAddress, _query).
   */
  _requestOf(hs) {
    return this.engine._request(hs);
  }

  /** Starts a cluster request; resolves with its parsed answer (rejects on error). */
  _request(kind, nsp, rooms = [], except = [], event = '', json = '[]') {
    return new Promise((resolve, reject) => {
      const timeout = (redisOptions(this.opts.adapter) || {}).requestsTimeout || 5000;
      const id = this._command('request', kind, nsp, rooms, except, event, json, timeout);
      if (id === undefined) return reject(new Error('server stopped'));
      this._requests.set(id, { resolve, reject });
    });
  }

  _onReply(id, json) {
    const r = this._requests.get(id);
    if (!r) return;
    this._requests.delete(id);
    const v = JSON.parse(json);
    if (v.error) r.reject(Object.assign(new Error(v.error), v.code ? { code: v.code } : {}));
    else r.resolve(v);
  }

  _onServerSideEmit(name, event, args, ackId) {
    const nsp = this._nsps.get(name);
    args = decode(args);
    if (ackId !== null) {
      let sent = false;
      args.push((res) => {
        if (sent) return;
        sent = true;
        this._command('serverSideAck', ackId, JSON.stringify([res === undefined ? null : res]));
      });
    }
    if (nsp) nsp._emitReserved(event, ...args);
  }

  /** Same as listen(): a port, or the user's http.Server. */
  attach(srv, opts) {
    return this.listen(srv, opts);
  }

  /**
   * The server's metrics now, as an object (the numbers `metricsPath` serves to
   * Prometheus): sockets and rooms per namespace, sessions by transport, connects,
   * disconnects by reason, upgrades, events_received, packets_sent, bytes_in, bytes_out,
   * broadcasts, deliveries, acks_pending, acks_timed_out, slow_consumer_disconnects,
   * volatile_drops, adapter_publish_errors, adapter_dropped_messages, handshake_seconds.
   * Needs `metrics: true` or `metricsPath`; else throws ERR_INVALID_CONFIG.
   */
  metrics() {
    if (!this._native) throw new Error('not listening');
    return JSON.parse(this._native.metricsJson());
  }

  /**
   * Replaces the TLS certificate and key without a restart, as tls.Server#setSecureContext
   * (`{ cert, key }`, PEM): new connections use them, open ones keep theirs. Throws (code
   * ERR_INVALID_CONFIG) when they do not load, the old ones keep serving, or when the
   * server was started without `tls`.
   */
  setSecureContext(options) {
    if (!this._native) throw new Error('not listening');
    const tls = tlsOptions(options);
    if (!tls) throw new TypeError('setSecureContext needs { cert, key }');
    this._native.reloadTls(tls.tlsCert, tls.tlsKey);
  }

  /** The port the server listens on (after listen; attached: the http.Server's). */
  get port() {
    if (this.httpServer) {
      const a = this.httpServer.address();
      return a && typeof a === 'object' ? a.port : undefined;
    }
    return this._native ? this._native.port : undefined;
  }

  /** Like net.Server#address() (attached: the http.Server's). */
  address() {
    if (this.httpServer) return this.httpServer.address();
    if (!this._native) return null;
    const address = this._native.address;
    return { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port: this._native.port };
  }

  /** A namespace by name, or a dynamic one from a RegExp or fn(name, auth, next). */
  of(name, fn) {
    let nsp;
    if (name instanceof RegExp || typeof name === 'function') {
      nsp = new ParentNamespace(this, name);
      this._parents.push(nsp);
      this._declareDynamic(nsp);
    } else {
      name = String(name);
      if (!name.startsWith('/')) name = `/${name}`;
      nsp = this._nsps.get(name);
      // A name a RegExp parent matches becomes its child, as socket.io's of().
      const parent = nsp ? null : this._parents.find((p) => p.matcher instanceof RegExp && p._matchesSync(name));
      if (parent) {
        nsp = parent._createChild(name);
        this._nsps.set(name, nsp);
      } else if (!nsp) {
        nsp = new Namespace(this, name);
        this._nsps.set(name, nsp);
        this._declare(nsp);
        if (name !== '/') this.sockets._emitReserved('new_namespace', nsp);
      }
    }
    if (fn) nsp.on('connect', fn);
    return nsp;
  }

  /** Connect middleware of the main namespace. */
  use(fn) {
    this.sockets.use(fn);
    return this;
  }

  to(room) { return this.sockets.to(room); }
  in(room) { return this.sockets.in(room); }
  except(room) { return this.sockets.except(room); }
  get volatile() { return this.sockets.volatile; }
  get local() { return this.sockets.local; }
  compress(compress) { return this.sockets.compress(compress); }
  timeout(ms) { return this.sockets.timeout(ms); }
  emit(ev, ...args) { return this.sockets.emit(ev, ...args); }
  emitWithAck(ev, ...args) { return this.sockets.emitWithAck(ev, ...args); }
  send(...args) { this.sockets.send(...args); return this; }
  write(...args) { return this.send(...args); }
  serverSideEmit(ev, ...args) { return this.sockets.serverSideEmit(ev, ...args); }
  serverSideEmitWithAck(ev, ...args) { return this.sockets.serverSideEmitWithAck(ev, ...args); }
  fetchSockets() { return this.sockets.fetchSockets(); }
  allSockets() { return this.sockets.allSockets(); }
  socketsJoin(room) { this.sockets.socketsJoin(room); }
  socketsLeave(room) { this.sockets.socketsLeave(room); }
  disconnectSockets(close = false) { this.sockets.disconnectSockets(close); }

  /**
   * Disconnects every client ("server shutting down"; their disconnect handlers run) and
   * stops listening. Once the returned promise resolves (and fn is called), nothing of the
   * server keeps the process alive. Pending server->client acks are dropped.
   */
  close(fn) {
    let httpError;
    const done = new Promise((resolve) => {
      if (!this._native || (this._closed && this._onClosed.length === 0)) {
        resolve();
        return;
      }
      this._onClosed.push(resolve);
      if (!this._closed) {
        this._closed = true;
        this._native.close();
        // As socket.io: closing the server closes the http.Server it is attached to.
        if (this._release) {
          this._release();
          this._release = null;
          // Its error (ERR_SERVER_NOT_RUNNING when it never listened) goes to fn, as socket.io.
          this.httpServer.close((err) => {
            httpError = err;
          });
        }
      }
    });
    if (fn) done.then(() => fn(httpError));
    return done;
  }

  // ---- internals ----

  /** Runs a native command; after close (or before listen) commands do nothing. */
  _command(name, ...args) {
    if (!this._native) return undefined;
    try {
      return this._native[name](...args);
    } catch (err) {
      if (this._closed || GONE.has(err.code)) return undefined;
      throw err;
    }
  }

  _declare(nsp) {
    if (this._native && !nsp._dynamic) this._native.setNamespace(nsp.name, nsp._fns.length > 0);
  }

  _declareDynamic(p) {
    if (!this._native) return;
    if (p.matcher instanceof RegExp) this._native.addDynamicNamespace(p.matcher.source, p.matcher.flags);
    else this._native.addDynamicNamespace(undefined, '');
  }

  /** A ref'd timer cleared by close(). */
  _timer(fn, ms) {
    const t = setTimeout(() => {
      this._timers.delete(t);
      fn();
    }, ms);
    this._timers.add(t);
    return t;
  }

  /** Emits with ack; done(replies [{sid, args}], timedOut) runs once. */
  _emitWithAck(nsp, rooms, except, volatile, ev, json, bins, timeout, done, compress) {
    if (!this._native || this._closed) return;
    const id = this._command('emitWithAck', nsp, rooms, except, volatile, ev, json, bins, timeout === undefined ? NO_TIMEOUT_MS : timeout, compress);
    if (id === undefined) return;
    const entry = { done, timer: null };
    if (timeout !== undefined) {
      // Safety net only: the core reports the timeout itself (with what arrived); should
      // that report never come, the callback still fails at the deadline.
      entry.timer = this._timer(() => {
        this._acks.delete(id);
        done([], true);
      }, timeout + 50);
    }
    this._acks.set(id, entry);
  }

  /** Turns the core's room events on for namespace `name` (now, or when it starts). */
  _observeRooms(name) {
    if (this._roomWatch.has(name)) return;
    this._roomWatch.add(name);
    this._command('observeRooms', name);
  }

  _onRoom(name, kind, room, id) {
    const nsp = this._nsps.get(name);
    if (nsp && nsp._adapter) nsp._adapter._onRoom(kind, room, id);
  }

  _onEvent(ev) {
    try {
      switch (ev[0]) {
        case 'room':
          this._onRoom(ev[1], ev[2], ev[3], ev[4]);
          break;
        case 'allow_request':
          this.engine._onHandshake(ev[1], ev[2], ev[3]);
          break;
        case 'cors_origin':
          this._onCorsOrigin(ev[1], ev[2], ev[3]);
          break;
        case 'connection_error':
          this.engine._onCoreError(ev[1], ev[2], ev[3], ev[4], ev[5]);
          break;
        case 'upgrade':
          this.engine._onUpgrade(ev[1]);
          break;
        case 'connect_request':
          this._onConnectRequest(ev[1], ev[2], ev[3], ev[4], ev[5]);
          break;
        case 'connection':
          this._onConnection(ev[1], ev[2], ev[3], ev[4]);
          break;
        case 'message':
          this._onMessage(ev[1], ev[2], ev[3], ev[4], ev[5]);
          break;
        case 'ack':
          this._onAck(ev[1], ev[2], ev[3]);
          break;
        case 'disconnecting':
          this._onDisconnecting(ev[1], ev[2], ev[3], ev[4]);
          break;
        case 'disconnect':
          this._onDisconnect(ev[1], ev[2], ev[3]);
          break;
        case 'server_side_emit':
          this._onServerSideEmit(ev[1], ev[2], ev[3], ev[4]);
          break;
        case 'reply':
          this._onReply(ev[1], ev[2]);
          break;
        case 'plain_request':
          this._routes.get(ev[2])?._onRequest(ev[1], ev[3]);
          break;
        case 'plain_connection':
          this._routes.get(ev[1])?._onConnection(ev[2], ev[3]);
          break;
        case 'plain_message':
          this._routes.get(ev[1])?._onMessage(ev[2], ev[3]);
          break;
        case 'plain_close':
          this._routes.get(ev[1])?._onClose(ev[2], ev[3], ev[4]);
          break;
        case 'closed':
          this._onNativeClosed();
          break;
        default:
          break;
      }
    } catch (err) {
      report(err);
    }
  }

  /** One request's origin (`cors_origin` event `id`), decided by the cors.origin function. */
  _onCorsOrigin(id, method, hs) {
    decideOrigin(this._originFn, hs.headers.origin, (err, allowed) => {
      if (err) {
        // As engine.io when its cors middleware fails: 400 "Bad request" and a
        // connection_error with context MIDDLEWARE_FAILURE.
        this._command('allowOrigin', id, false, 400, 'Bad request');
        this.engine._connectionError(this.engine._request(hs, method), 3, { name: 'MIDDLEWARE_FAILURE' });
      } else {
        this._command('allowOrigin', id, allowed);
      }
    });
  }

  async _findNamespace(name, auth) {
    const nsp = this._nsps.get(name);
    if (nsp) return nsp;
    for (const p of this._parents) {
      if (await p._matches(name, auth)) {
        // Another connection to the same name may have created it meanwhile (#4136).
        const made = this._nsps.get(name);
        if (made) return made;
        const child = p._createChild(name);
        this._nsps.set(name, child);
        return child;
      }
    }
    return null;
  }

  async _onConnectRequest(request, name, hs, futureSid, recovered) {
    const conn = this.engine._conn(hs);
    const handshake = buildHandshake(hs);
    const nsp = await this._findNamespace(name, handshake.auth);
    if (!nsp) {
      this._command('reject', request, 'Invalid namespace', undefined);
      return;
    }
    // Middleware sees the id the socket will have, as in socket.io.
    const socket = new Socket(nsp, futureSid, handshake);
    socket.conn = conn;
    socket.request = conn.request;
    socket.recovered = !!recovered;
    const fns = nsp._fns.slice();
    const run = (i) => {
      if (i === fns.length) {
        // Registered first: the connection event that accept() causes finds this socket.
        nsp._pending.set(futureSid, socket);
        if (!this._command('accept', request)) nsp._pending.delete(futureSid);
        return;
      }
      let called = false;
      const next = (err) => {
        if (called) return;
        called = true;
        if (err) {
          let data = null;
          if (err.data !== undefined) {
            try {
              data = JSON.stringify(err.data);
            } catch {
              data = null;
            }
          }
          this._command('reject', request, String(err.message || err), data == null ? undefined : data);
          this._dropIfEmptyChild(nsp);
        } else {
          run(i + 1);
        }
      };
      try {
        fns[i].call(nsp, socket, next);
      } catch (err) {
        next(err);
      }
    };
    run(0);
  }

  _onConnection(name, sid, hs, recovered) {
    const nsp = this._nsps.get(name);
    if (!nsp) {
      this._command('release', name, sid);
      return;
    }
    let socket = nsp._pending.get(sid);
    if (socket) {
      nsp._pending.delete(sid);
    } else {
      socket = new Socket(nsp, sid, buildHandshake(hs));
      socket.conn = this.engine._conn(hs);
      socket.request = socket.conn.request;
    }
    this.engine._attach(socket.conn);
    socket.recovered = !!recovered;
    if (recovered) this._restoreData(socket);
    socket.connected = true;
    nsp.sockets.set(sid, socket);
    // Listeners added in middleware: the socket may have left the set while it was not
    // connected (see BroadcastOperator#_notifyOutgoing).
    if (socket._anyOutgoing.length > 0) nsp._outgoingWatchers.add(socket);
    try {
      nsp._emitReserved('connect', socket);
      nsp._emitReserved('connection', socket);
    } finally {
      // The client gets CONNECT now, then what the handlers sent, as with socket.io.
      this._command('release', name, sid);
    }
  }

  _onMessage(name, sid, event, args, ackKey) {
    const nsp = this._nsps.get(name);
    const socket = nsp && nsp.sockets.get(sid);
    if (!socket) return;
    args = decode(args);
    if (ackKey !== null) {
      let sent = false;
      args.push((...res) => {
        if (sent) return;
        sent = true;
        const [json, bins] = require('./payload').encode(res);
        this._command('ack', ackKey, json, bins);
      });
    }
    socket._dispatch([event, ...args]);
  }

  _onAck(id, replies, timedOut) {
    const entry = this._acks.get(id);
    if (!entry) return;
    this._acks.delete(id);
    if (entry.timer) {
      clearTimeout(entry.timer);
      this._timers.delete(entry.timer);
    }
    entry.done(replies.map(([sid, args]) => ({ sid, args: decode(args) })), timedOut);
  }

  _onDisconnecting(name, sid, reason, rooms) {
    const nsp = this._nsps.get(name);
    const socket = nsp && nsp.sockets.get(sid);
    if (!socket) return;
    socket.connected = false;
    socket._lastRooms = new Set(rooms);
    socket._emitReserved('disconnecting', reason);
  }

  /** A recovered socket gets back the `data` it had (what middleware just set wins). */
  _restoreData(socket) {
    const json = this._command('data', socket.nsp.name, socket.id);
    if (json == null) return;
    const saved = JSON.parse(json);
    const plain = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (plain(saved) && plain(socket.data)) socket.data = { ...saved, ...socket.data };
    else if (plain(socket.data) && Object.keys(socket.data).length === 0) socket.data = saved;
  }

  /**
   * With recovery on, the core keeps a socket that lost its transport; `socket.data` goes
   * with it (as JSON). A socket that cannot be recovered (e.g. it left its namespace) has
   * nothing saved and the call does nothing.
   */
  _saveData(socket) {
    if (!this._recovery || socket.data === undefined) return;
    let json;
    try {
      json = JSON.stringify(socket.data);
    } catch (err) {
      process.emitWarning(`roomcast: socket.data of ${socket.id} is not JSON-serializable and is not kept for recovery (${err.message})`);
      return;
    }
    if (json !== undefined) this._command('setData', socket.nsp.name, socket.id, json);
  }

  _onDisconnect(name, sid, reason) {
    const nsp = this._nsps.get(name);
    const socket = nsp && nsp.sockets.get(sid);
    if (!socket) return;
    this._saveData(socket);
    nsp.sockets.delete(sid);
    nsp._outgoingWatchers.delete(socket);
    if (socket.conn) this.engine._detach(socket.conn, reason);
    socket.connected = false;
    socket._lastRooms = new Set();
    socket._emitReserved('disconnect', reason);
    this._dropIfEmptyChild(nsp);
  }

  /**
   * cleanupEmptyChildNamespaces: a child of a dynamic namespace left without sockets (its
   * last one disconnected, or middleware refused the only one) is dropped, as socket.io
   * removes it from `_nsps` and its parent's `children`; the next connection to the name
   * makes a new child. (The core drops its namespace when the last socket leaves; one whose
   * only connection was refused stays in the core until a socket leaves it.)
   */
  _dropIfEmptyChild(nsp) {
    if (!nsp._dynamic || !this.opts.cleanupEmptyChildNamespaces) return;
    if (nsp.sockets.size > 0 || nsp._pending.size > 0 || this._nsps.get(nsp.name) !== nsp) return;
    this._nsps.delete(nsp.name);
    for (const p of this._parents) p.children.delete(nsp);
  }

  _onNativeClosed() {
    this._closed = true;
    /** The core server is gone: listen() may start a new one. */
    this._stopped = true;
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    this._acks.clear();
    const waiting = this._onClosed;
    this._onClosed = [];
    for (const resolve of waiting) resolve();
    if (this.httpServer instanceof CoreListener) this.httpServer.emit('close');
  }
}

for (const m of EMITTER_METHODS) {
  Server.prototype[m] = function (...args) {
    const r = this.sockets[m](...args);
    return r === this.sockets ? this : r;
  };
}

module.exports = { Server, timeoutError };
