'use strict';
// Socket: one client in one namespace, with socket.io's Socket API.

const { EventEmitter } = require('node:events');
const { BroadcastOperator, list } = require('./broadcast');
const { encode } = require('./payload');
const { guarded, timeoutError, RESERVED_EVENTS } = require('./errors');

const emitLocal = EventEmitter.prototype.emit;

function buildHandshake(h) {
  let auth = {};
  if (h.auth !== undefined) {
    try {
      auth = JSON.parse(h.auth);
    } catch {
      auth = {};
    }
  }
  return {
    headers: h.headers,
    time: new Date(h.issued).toString(),
    address: h.address,
    xdomain: !!h.headers.origin,
    secure: false,
    issued: h.issued,
    url: h.url,
    query: Object.fromEntries(new URLSearchParams(h.query)),
    auth,
  };
}

class Socket extends EventEmitter {
  constructor(nsp, id, handshake) {
    super();
    this.nsp = nsp;
    this.server = nsp.server;
    /**
     * Socket id. The core creates the socket before connect middleware runs and holds its
     * CONNECT until the connection handlers ran, so join/leave/emit/disconnect take effect
     * at once, in order, from middleware and handlers alike.
     */
    this.id = id;
    this.handshake = handshake;
    /** The handshake's request (socket.io's `socket.request`): method, url, headers, connection, _query. */
    this.request = null;
    this._data = {};
    this.connected = false;
    this.recovered = false;
    this.flags = {};
    this._fns = [];
    this._any = [];
    this._anyOutgoing = [];
    this._lastRooms = new Set();
  }

  get disconnected() {
    return !this.connected;
  }

  /** The rooms the socket is in (its own id included), as a new Set. */
  get rooms() {
    const r = this.server._command('roomsOf', this.nsp.name, this.id);
    if (r) return new Set(r);
    return new Set(this._lastRooms);
  }

  join(rooms) {
    this.server._command('join', this.nsp.name, this.id, list(rooms));
  }

  leave(room) {
    this.server._command('leave', this.nsp.name, this.id, list(room));
  }

  /**
   * Sends an event to this client. With a function as last argument, it is called with
   * the client's ack arguments; after timeout(ms) it is called as (err, ...args).
   */
  emit(ev, ...args) {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const flags = this.flags;
    this.flags = {};
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    this._notifyOutgoing(ev, args);
    const [json, bins] = encode(args);
    const volatile = !!flags.volatile;
    if (!ack) {
      this.server._command('emit', this.nsp.name, [this.id], [], volatile, String(ev), json, bins, false, flags.compress);
      return true;
    }
    const withTimeout = flags.timeout !== undefined;
    this.server._emitWithAck(this.nsp.name, [this.id], [], volatile, String(ev), json, bins, flags.timeout, (replies, timedOut) => {
      if (replies.length) {
        if (withTimeout) ack.call(this, null, ...replies[0].args);
        else ack.call(this, ...replies[0].args);
      } else if (withTimeout) {
        if (timedOut) ack.call(this, timeoutError());
        // Nobody received it (already gone): fail when the timeout would have fired.
        else this.server._timer(() => ack.call(this, timeoutError()), flags.timeout);
      }
    }, flags.compress);
    return true;
  }

  /** emit() with an ack, as a promise of the first ack argument. */
  emitWithAck(ev, ...args) {
    const withErr = this.flags.timeout !== undefined;
    return new Promise((resolve, reject) => {
      args.push((a, b) => {
        if (!withErr) resolve(a);
        else if (a) reject(a);
        else resolve(b);
      });
      this.emit(ev, ...args);
    });
  }

  send(...args) {
    this.emit('message', ...args);
    return this;
  }

  write(...args) {
    return this.send(...args);
  }

  _operator() {
    return new BroadcastOperator(this.nsp, new Set(), new Set([this.id]), { ...this.flags });
  }

  /** Everyone in room(s) but this socket. */
  to(room) {
    const op = this._operator().to(room);
    this.flags = {};
    return op;
  }

  in(room) {
    return this.to(room);
  }

  /** Everyone but this socket and the sockets in room(s). */
  except(room) {
    const op = this._operator().except(room);
    this.flags = {};
    return op;
  }

  /** Everyone in the namespace but this socket. */
  get broadcast() {
    const op = this._operator();
    this.flags = {};
    return op;
  }

  get volatile() {
    this.flags.volatile = true;
    return this;
  }

  /** Everyone in the namespace but this socket, on this node only (as socket.io's). */
  get local() {
    const op = this._operator().local;
    this.flags = {};
    return op;
  }

  /**
   * socket.io's `socket.client`: the client's connection as a whole, one object shared by
   * its sockets of every namespace: `conn`, `id` (the Engine.IO id), `request`, `server`.
   */
  get client() {
    const conn = this.conn;
    if (!conn) return undefined;
    if (!conn._client) conn._client = { conn, id: conn.id, request: conn.request, server: this.server };
    return conn._client;
  }

  /** false: the next emit goes uncompressed even with permessage-deflate negotiated. */
  compress(compress) {
    this.flags.compress = !!compress;
    return this;
  }

  timeout(ms) {
    this.flags.timeout = ms;
    return this;
  }

  /** Leaves the namespace ("server namespace disconnect"); with close, closes the connection. */
  disconnect(close = false) {
    this.server._command('disconnect', this.nsp.name, this.id, !!close);
    return this;
  }

  /** Packet middleware: fn([event, ...args], next) runs before the listeners. */
  use(fn) {
    this._fns.push(fn);
    return this;
  }

  onAny(listener) {
    this._any.push(listener);
    return this;
  }

  prependAny(listener) {
    this._any.unshift(listener);
    return this;
  }

  offAny(listener) {
    this._any = listener ? this._any.filter((l) => l !== listener) : [];
    return this;
  }

  listenersAny() {
    return this._any.slice();
  }

  /**
   * Calls listener(event, ...args) for every event sent to this client: its own emits
   * and the broadcasts of this node that select it (not those other cluster nodes send).
   */
  onAnyOutgoing(listener) {
    this._anyOutgoing.push(listener);
    this.nsp._outgoingWatchers.add(this);
    return this;
  }

  prependAnyOutgoing(listener) {
    this._anyOutgoing.unshift(listener);
    this.nsp._outgoingWatchers.add(this);
    return this;
  }

  offAnyOutgoing(listener) {
    this._anyOutgoing = listener ? this._anyOutgoing.filter((l) => l !== listener) : [];
    if (this._anyOutgoing.length === 0) this.nsp._outgoingWatchers.delete(this);
    return this;
  }

  /** Tells the onAnyOutgoing listeners about an event sent to this client. */
  _notifyOutgoing(ev, args) {
    for (const l of this._anyOutgoing.slice()) guarded(l, this, [ev, ...args]);
  }

  listenersAnyOutgoing() {
    return this._anyOutgoing.slice();
  }

  /**
   * Runs the catch-all listeners, then the socket middleware, then the event's listeners
   * (while still connected). As in socket.io, `onAny` sees every incoming event, also one
   * a middleware then rejects.
   */
  _dispatch(packet) {
    for (const l of this._any.slice()) guarded(l, this, packet);
    const fns = this._fns.slice();
    const run = (i) => {
      if (i === fns.length) {
        if (this.connected) guarded(emitLocal, this, packet);
        return;
      }
      guarded(fns[i], this, [
        packet,
        (err) => {
          if (err) this._onerror(err);
          else run(i + 1);
        },
      ]);
    };
    run(0);
  }

  _onerror(err) {
    if (this.listenerCount('error')) guarded(emitLocal, this, ['error', err]);
    else console.error('Missing error handler on `socket`.\n', err);
  }

  _emitReserved(ev, ...args) {
    guarded(emitLocal, this, [ev, ...args]);
  }
}

/**
 * Free-form per-socket data. Assigning it (`socket.data = {...}`) also shares it with the
 * other nodes of a Redis cluster (their fetchSockets() report it); mutate-in-place changes
 * stay local until the next assignment.
 */
Object.defineProperty(Socket.prototype, 'data', {
  get() {
    return this._data;
  },
  set(v) {
    this._data = v;
    const server = this.nsp && this.nsp.server;
    if (server && server._clustered) {
      try {
        server._command('setData', this.nsp.name, this.id, JSON.stringify(v === undefined ? null : v));
      } catch {
        // Not JSON-serializable: it stays local, as it would not cross a Node cluster either.
      }
    }
  },
});

module.exports = { Socket, buildHandshake };
