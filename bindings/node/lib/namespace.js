'use strict';
// Namespace (one name) and ParentNamespace (a dynamic one: a RegExp or a function that
// decides which names exist; each name gets a child Namespace on its first connection).

const { EventEmitter } = require('node:events');
const { BroadcastOperator } = require('./broadcast');
const { guarded } = require('./errors');
const { Adapter } = require('./adapter');

const emitLocal = EventEmitter.prototype.emit;

class Namespace extends EventEmitter {
  constructor(server, name) {
    super();
    this.server = server;
    this.name = name;
    /** Connected sockets by id. */
    this.sockets = new Map();
    this._fns = [];
    /** Sockets accepted by middleware whose connection is not delivered yet. */
    this._pending = new Map();
    /**
     * Sockets with onAnyOutgoing listeners: a broadcast tells those it selects (as
     * socket.io's adapter does), and costs nothing more while the set is empty.
     */
    this._outgoingWatchers = new Set();
  }

  /**
   * Connect middleware: fn(socket, next); next(err) refuses the connection and the client
   * gets connect_error with err.message and err.data. Added while clients are connected, it
   * applies to the connections that come after.
   */
  use(fn) {
    this._fns.push(fn);
    this.server._declare(this);
    return this;
  }

  _targets() {
    return [this];
  }

  _operator() {
    return new BroadcastOperator(this);
  }

  to(room) {
    return this._operator().to(room);
  }

  in(room) {
    return this._operator().to(room);
  }

  except(room) {
    return this._operator().except(room);
  }

  get volatile() {
    return this._operator().volatile;
  }

  get local() {
    return this._operator().local;
  }

  compress(compress) {
    return this._operator().compress(compress);
  }

  timeout(ms) {
    return this._operator().timeout(ms);
  }

  /** Emits to every socket of the namespace (see BroadcastOperator#emit). */
  emit(ev, ...args) {
    return this._operator().emit(ev, ...args);
  }

  emitWithAck(ev, ...args) {
    return this._operator().emitWithAck(ev, ...args);
  }

  send(...args) {
    this.emit('message', ...args);
    return this;
  }

  write(...args) {
    return this.send(...args);
  }

  fetchSockets() {
    return this._operator().fetchSockets();
  }

  /** The ids of the namespace's sockets, as a Set (socket.io's deprecated allSockets()). */
  allSockets() {
    return this._operator().allSockets();
  }

  socketsJoin(room) {
    this._operator().socketsJoin(room);
  }

  socketsLeave(room) {
    this._operator().socketsLeave(room);
  }

  disconnectSockets(close = false) {
    this._operator().disconnectSockets(close);
  }

  /**
   * Emits `ev` to the other nodes of the cluster (their `nsp.on(ev, ...)` listeners). With
   * a function as last argument, it gets (err, responses): one response per other node,
   * err set when some did not answer within the requests timeout. Binary is not carried
   * (the wire format is JSON), as with @socket.io/redis-adapter. Without a cluster there
   * are no other nodes: nothing is sent and the callback gets (null, []).
   */
  serverSideEmit(ev, ...args) {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    const server = this.server;
    if (!server._clustered) {
      if (ack) process.nextTick(() => ack(null, []));
      return true;
    }
    const json = JSON.stringify(args);
    if (!ack) {
      server._command('serverSideEmit', this.name, String(ev), json);
      return true;
    }
    server._request('serverSideEmitWithAck', this.name, [], [], String(ev), json).then(
      (r) => ack(r.complete ? null : new Error(`timeout reached: only ${r.answered} responses received out of ${r.expected}`), r.value),
      (err) => ack(err, []),
    );
    return true;
  }

  /** serverSideEmit() with an ack, as a promise of the responses. */
  serverSideEmitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      this.serverSideEmit(ev, ...args, (err, responses) => (err ? reject(err) : resolve(responses)));
    });
  }

  /** The read-only view of this namespace's rooms (see lib/adapter.js). */
  get adapter() {
    if (!this._adapter) this._adapter = new Adapter(this);
    return this._adapter;
  }

  _emitReserved(ev, ...args) {
    guarded(emitLocal, this, [ev, ...args]);
  }
}

class ParentNamespace extends Namespace {
  constructor(server, matcher) {
    super(server, matcher instanceof RegExp ? String(matcher) : '<dynamic>');
    this.matcher = matcher;
    this.children = new Set();
  }

  use(fn) {
    this._fns.push(fn);
    return this;
  }

  _targets() {
    return [...this.children];
  }

  /** For a RegExp matcher: whether it matches `name`. */
  _matchesSync(name) {
    this.matcher.lastIndex = 0;
    return this.matcher.test(name);
  }

  /** Whether `name` belongs to this dynamic namespace (a promise for function matchers). */
  _matches(name, auth) {
    if (this.matcher instanceof RegExp) {
      this.matcher.lastIndex = 0;
      return Promise.resolve(this.matcher.test(name));
    }
    return new Promise((resolve) => {
      guarded(this.matcher, null, [name, auth, (err, ok) => resolve(!err && !!ok)]);
    });
  }

  /** A child namespace inheriting this one's middleware and connection listeners. */
  _createChild(name) {
    const child = new Namespace(this.server, name);
    child._fns = this._fns.slice();
    child._dynamic = true;
    for (const ev of ['connect', 'connection']) for (const l of this.listeners(ev)) child.on(ev, l);
    this.children.add(child);
    this.server.sockets._emitReserved('new_namespace', child);
    return child;
  }
}

module.exports = { Namespace, ParentNamespace };
