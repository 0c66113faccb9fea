'use strict';
// io.engine: socket.io's Engine.IO server object over the core's engine.
//
// - `clientsCount`: the core's open connections.
// - `use(middleware)`: connect/express-style `(req, res, next)` middlewares (e.g.
//   express-session), run on each handshake request, during the core's handshake round
//   trip (the `allow_request` event), on a request-like object that becomes
//   `socket.request` and `socket.conn.request`; headers they set on `res` (Set-Cookie)
//   go into the handshake's response through the core. engine.io runs them on every HTTP
//   request of a connection; here the later polling requests and the WebSocket upgrade
//   of an open connection are answered by the core without a JavaScript round trip (which
//   would add one to each long-poll), so a middleware sees each connection once: what
//   express-session needs. `next(err)` refuses with 400 `{"code":3,"message":"Bad
//   request"}` and a `connection_error` (context `{ name: "MIDDLEWARE_FAILURE" }`), as
//   engine.io; a middleware that answers itself (`res.end()`) refuses with its status.
// - `generateId(req)` (as a Server option or set on io.engine): the Engine.IO id of each
//   connection (`socket.conn.id`), sync or async; the core checks it (1 to 128 of
//   `A-Z a-z 0-9 - _ . ~`, not in use).
// - `connection_error` events `{ req, code, message, context }` with engine.io's codes:
//   the core reports its own refusals once a listener is registered; this layer reports
//   the ones it decides (middleware, allowRequest, generateId).
// - `socket.conn` objects (see conn.js), and their `upgrade` events.
// - `initial_headers` `(headers, req)`: listeners add or change the handshake response's
//   headers (a sticky-session cookie...), as engine.io; listening turns the round trip on.
//   engine.io's `headers` (every HTTP response, each long-poll included) and raw
//   `connection` events are refused when listened to: the core answers later requests
//   without a JavaScript round trip, and sockets are reached through socket.io's events.

const { EventEmitter } = require('node:events');
const { Conn } = require('./conn');
const { EngineResponse } = require('./engine-response');
const { report } = require('./errors');

/** engine.io events this engine does not emit, and why (listening to them throws). */
const REFUSED_EVENTS = {
  headers: 'the core answers the requests after the handshake without a JavaScript round trip; use "initial_headers" for the handshake response',
  connection: 'there is no raw Engine.IO socket in JavaScript; use io.on("connection") and socket.conn',
};

/** socket.io's engine error messages by code (engine.io Server.errorMessages). */
const MESSAGES = ['Transport unknown', 'Session ID unknown', 'Bad handshake method', 'Bad request', 'Forbidden', 'Unsupported protocol version'];

class Engine extends EventEmitter {
  constructor(io) {
    super();
    this._io = io;
    this._middlewares = [];
    this._generateId = null;
    /** Requests admitted by the round trip, by connection id, until a socket takes them. */
    this._admitted = new Map();
    /** Connections with sockets (socket.conn), by id. */
    this._conns = new Map();
    this._errors = false;
    this._upgrades = false;
    this.on('newListener', (ev) => {
      if (REFUSED_EVENTS[ev]) throw new Error(`roomcast: io.engine does not emit "${ev}": ${REFUSED_EVENTS[ev]}`);
      if (ev === 'initial_headers') this._native('setAllowRequest', true);
      if (ev === 'connection_error' && !this._errors) {
        this._errors = true;
        this._native('reportConnectionErrors', true);
      }
    });
    this.on('removeListener', (ev) => {
      if (ev === 'connection_error' && this._errors && this.listenerCount('connection_error') === 0) {
        this._errors = false;
        this._native('reportConnectionErrors', false);
      }
    });
  }

  /** Open Engine.IO connections (of this node), as engine.io's clientsCount. */
  get clientsCount() {
    const n = this._io._native;
    return n && !this._io._closed ? n.connectionCount() : 0;
  }

  get opts() {
    return this._io.opts;
  }

  /** Adds an engine middleware `(req, res, next)` (see the module comment). */
  use(fn) {
    if (typeof fn !== 'function') throw new TypeError('io.engine.use takes a middleware function (req, res, next)');
    this._middlewares.push(fn);
    this._native('setAllowRequest', true);
    return this;
  }

  /** engine.io's generateId hook: `(req) => string | Promise<string>`. */
  set generateId(fn) {
    if (typeof fn !== 'function') throw new TypeError('generateId must be a function (req) => string');
    this._generateId = fn;
    this._native('setAllowRequest', true);
  }

  get generateId() {
    return this._generateId || this._io.opts.generateId;
  }

  // ---- with the core ----

  /** Calls a native method when the server runs (errors other than "gone" are thrown). */
  _native(name, ...args) {
    if (this._io._native) this._io._command(name, ...args);
  }

  /** Whether each handshake goes through the round trip (set before the core starts). */
  _asks() {
    return (
      this._middlewares.length > 0 ||
      typeof this.generateId === 'function' ||
      typeof this._io.opts.allowRequest === 'function' ||
      this.listenerCount('initial_headers') > 0
    );
  }

  /** The core started: turns on what was asked for before. */
  _started() {
    if (this._errors) this._native('reportConnectionErrors', true);
    if (this._upgrades) this._native('reportUpgrades', true);
  }

  _wantUpgrades() {
    if (this._upgrades) return;
    this._upgrades = true;
    this._native('reportUpgrades', true);
  }

  _transportOf(id) {
    const n = this._io._native;
    return n && !this._io._closed ? n.connectionTransport(id) : undefined;
  }

  _closeConnection(id) {
    const n = this._io._native;
    if (n && !this._io._closed) n.closeConnection(id);
  }

  /** A request-like object for a handshake from the core (socket.request's shape). */
  _request(hs, method = 'GET') {
    const srv = this._io.httpServer;
    const encrypted = !!this._io.opts.tls || !!(srv && typeof srv.setSecureContext === 'function');
    const peer = { remoteAddress: hs.address, encrypted };
    return {
      method,
      url: hs.url,
      httpVersion: '1.1',
      headers: { ...hs.headers },
      connection: peer,
      socket: peer,
      _query: Object.fromEntries(new URLSearchParams(hs.query)),
    };
  }

  // ---- the handshake round trip ----

  /**
   * One handshake (`allow_request` event `id`): the middlewares, then `allowRequest`,
   * then `generateId`; the first refusal answers it. Every path answers the core once;
   * one that never does (a middleware that never calls next) is refused by the core after
   * `allowRequestTimeout`, so nothing waits forever.
   */
  _onHandshake(id, method, hs) {
    const req = this._request(hs, method);
    let answered = false;
    let finishing = false;
    const refuse = (status, message, code, context) => {
      if (answered) return;
      answered = true;
      this._connectionError(req, code, context);
      this._io._command('allowRequest', id, false, status, message);
    };
    const admit = (connId) => {
      if (answered) return;
      answered = true;
      try {
        this._io._native.admit(id, res._headerPairs(), connId === hs.connId ? undefined : connId);
      } catch (err) {
        if (err.code !== 'ERR_INVALID_ARGUMENT') return;
        answered = false;
        refuse(400, MESSAGES[3], 3, { name: 'ID_GENERATION_ERROR', error: err });
        return;
      }
      this._remember(connId, req);
    };
    const res = new EngineResponse(req, () => {
      if (finishing) return;
      // A middleware answered the request itself: that is its refusal.
      const status = res.statusCode >= 400 && res.statusCode <= 599 ? res.statusCode : 403;
      refuse(status, res._text() || MESSAGES[4], 4, { name: 'MIDDLEWARE_RESPONSE', status: res.statusCode });
    });
    req.res = res;
    this._apply(req, res, (err) => {
      if (answered) return;
      if (err) {
        refuse(400, MESSAGES[3], 3, { name: 'MIDDLEWARE_FAILURE' });
        return;
      }
      this._allow(req, (message, ok) => {
        if (answered) return;
        if (!ok) {
          refuse(403, message ? String(message) : MESSAGES[4], 4, { message });
          return;
        }
        this._id(req, hs.connId, (idErr, connId) => {
          if (answered) return;
          if (idErr) {
            refuse(400, MESSAGES[3], 3, { name: 'ID_GENERATION_ERROR', error: idErr });
            return;
          }
          // As engine.io does before its answer: writeHead runs the middlewares' header
          // hooks (express-session sets its cookie there), end their end hooks (a
          // session save, which may be asynchronous: the answer waits for it).
          finishing = true;
          if (!res.headersSent && this.listenerCount('initial_headers') > 0) {
            const headers = {};
            try {
              this.emit('initial_headers', headers, req);
            } catch (e) {
              report(e);
            }
            for (const [name, value] of Object.entries(headers)) {
              if (value !== undefined && value !== null) res.setHeader(name, value);
            }
          }
          if (!res.headersSent) res.writeHead(200);
          res._onEnd = () => admit(connId);
          if (res.writableEnded) admit(connId);
          else res.end();
        });
      });
    });
  }

  /** Runs the middlewares in order; done(err) once. */
  _apply(req, res, done) {
    const fns = this._middlewares.slice();
    let i = 0;
    const step = (err) => {
      if (err) {
        done(err);
        return;
      }
      const fn = fns[i++];
      if (!fn) {
        done();
        return;
      }
      let called = false;
      const next = (e) => {
        if (called) return;
        called = true;
        step(e || undefined);
      };
      try {
        fn(req, res, next);
      } catch (e) {
        next(e);
      }
    };
    step();
  }

  /** socket.io's `allowRequest(req, callback(err, success))`, when given. */
  _allow(req, done) {
    const fn = this._io.opts.allowRequest;
    if (typeof fn !== 'function') {
      done(null, true);
      return;
    }
    let called = false;
    try {
      fn(req, (err, success) => {
        if (called) return;
        called = true;
        done(err instanceof Error ? err.message : err, !!success);
      });
    } catch (err) {
      report(err);
      if (!called) {
        called = true;
        done(err.message, false);
      }
    }
  }

  /** The connection id: generateId's (sync or a promise), else the core's `proposed`. */
  _id(req, proposed, done) {
    const fn = this.generateId;
    if (typeof fn !== 'function') {
      done(null, proposed);
      return;
    }
    Promise.resolve()
      .then(() => fn.call(this, req))
      .then(
        (id) => (typeof id === 'string' ? done(null, id) : done(new TypeError(`generateId returned ${typeof id}, not a string`))),
        (err) => done(err),
      );
  }

  /** Keeps an admitted request for the sockets of its connection (dropped if none comes). */
  _remember(connId, req) {
    const timer = setTimeout(() => this._admitted.delete(connId), this._io.opts.connectTimeout + 10000);
    timer.unref();
    this._admitted.set(connId, { req, timer });
  }

  // ---- events from the core ----

  /** Emits `connection_error` as engine.io does: { req, code, message, context }. */
  _connectionError(req, code, context = {}) {
    if (this.listenerCount('connection_error') === 0) return;
    this.emit('connection_error', { req, code, message: MESSAGES[code] || MESSAGES[3], context });
  }

  /** A refusal the core reported: `["connection_error", code, message, contextJson, method, hs]`. */
  _onCoreError(code, _message, contextJson, method, hs) {
    let context = {};
    try {
      context = JSON.parse(contextJson);
    } catch {
      context = {};
    }
    this._connectionError(this._request(hs, method), code, context);
  }

  _onUpgrade(connId) {
    const c = this._conns.get(connId);
    if (c) c._onUpgrade();
  }

  // ---- socket.conn ----

  /** The connection of a socket's handshake (created with its first socket). */
  _conn(hs) {
    const id = hs.connId;
    let c = this._conns.get(id);
    if (c) return c;
    const admitted = this._admitted.get(id);
    let req;
    if (admitted) {
      clearTimeout(admitted.timer);
      this._admitted.delete(id);
      req = admitted.req;
      delete req.res;
    } else {
      req = this._request(hs);
    }
    c = new Conn(this, id, req, req._query.transport);
    this._conns.set(id, c);
    // A connection whose first socket never connects (refused by middleware) is dropped.
    const timer = setTimeout(() => {
      if (c._sockets === 0 && this._conns.get(id) === c) this._conns.delete(id);
    }, this._io.opts.connectTimeout + 10000);
    timer.unref();
    return c;
  }

  _attach(conn) {
    conn._sockets += 1;
  }

  /** A socket on `conn` left for `reason`. */
  _detach(conn, reason) {
    if (conn._detach(reason) && this._conns.get(conn.id) === conn) this._conns.delete(conn.id);
  }
}

module.exports = { Engine, MESSAGES };
