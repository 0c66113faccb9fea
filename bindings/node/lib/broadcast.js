'use strict';
// BroadcastOperator: an immutable selection of recipients (rooms, except, flags), as in
// socket.io: every to()/except()/volatile/timeout() returns a new operator.

const { encode } = require('./payload');
const { timeoutError, RESERVED_EVENTS } = require('./errors');

function list(rooms) {
  return Array.isArray(rooms) ? rooms.map(String) : [String(rooms)];
}

class BroadcastOperator {
  constructor(nsp, rooms = new Set(), exceptRooms = new Set(), flags = {}) {
    this._nsp = nsp;
    this._rooms = rooms;
    this._except = exceptRooms;
    this._flags = flags;
  }

  /** Targets a room (or rooms, or socket ids); several calls make a union. */
  to(room) {
    const rooms = new Set(this._rooms);
    for (const r of list(room)) rooms.add(r);
    return new BroadcastOperator(this._nsp, rooms, this._except, this._flags);
  }

  in(room) {
    return this.to(room);
  }

  /** Skips the sockets in a room (or rooms, or socket ids). */
  except(room) {
    const ex = new Set(this._except);
    for (const r of list(room)) ex.add(r);
    return new BroadcastOperator(this._nsp, this._rooms, ex, this._flags);
  }

  /** The rooms (or socket ids) selected; empty: the whole namespace. */
  get rooms() {
    return new Set(this._rooms);
  }

  /** The rooms (or socket ids) skipped. */
  get exceptRooms() {
    return new Set(this._except);
  }

  /** The flags (volatile, local, compress, timeout) as socket.io's operator has them. */
  get flags() {
    return { ...this._flags };
  }

  /** Drops the packet for clients that cannot take it right now. */
  get volatile() {
    return new BroadcastOperator(this._nsp, this._rooms, this._except, { ...this._flags, volatile: true });
  }

  /** This node only (other nodes of a Redis cluster are not told). */
  get local() {
    return new BroadcastOperator(this._nsp, this._rooms, this._except, { ...this._flags, local: true });
  }

  /**
   * socket.io's compress flag: false sends the packet uncompressed even to clients that
   * negotiated permessage-deflate (see the server's `perMessageDeflate`).
   */
  compress(compress) {
    return new BroadcastOperator(this._nsp, this._rooms, this._except, { ...this._flags, compress: !!compress });
  }

  /** Acks are awaited at most `ms`; the callback then gets an error and what arrived. */
  timeout(ms) {
    return new BroadcastOperator(this._nsp, this._rooms, this._except, { ...this._flags, timeout: ms });
  }

  /**
   * Emits to every selected socket. With a function as last argument, it is called as
   * (err, responses) once every recipient acknowledged (responses: the first argument of
   * each reply) or when the timeout fires (err set, responses: what arrived). Without
   * timeout() the callback waits for every recipient (socket.io fires at once instead).
   */
  emit(ev, ...args) {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    const server = this._nsp.server;
    const [json, bins] = encode(args);
    const rooms = [...this._rooms];
    const except = [...this._except];
    const volatile = !!this._flags.volatile;
    const targets = this._nsp._targets();
    for (const nsp of targets) this._notifyOutgoing(nsp, ev, args);
    if (!ack) {
      const local = !!this._flags.local;
      for (const nsp of targets) server._command('emit', nsp.name, rooms, except, volatile, String(ev), json, bins, local, this._flags.compress);
      return true;
    }
    let pending = targets.length;
    let timedOut = false;
    const responses = [];
    const done = (replies, late) => {
      for (const r of replies) responses.push(r.args[0]);
      timedOut = timedOut || late;
      if (--pending === 0) ack.call(this, timedOut ? timeoutError() : null, responses);
    };
    if (pending === 0) {
      pending = 1;
      done([], false);
      return true;
    }
    for (const nsp of targets) {
      server._emitWithAck(nsp.name, rooms, except, volatile, String(ev), json, bins, this._flags.timeout, done, this._flags.compress);
    }
    return true;
  }

  /** emit() with an ack, as a promise of the responses (rejected on timeout). */
  emitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      this.emit(ev, ...args, (err, responses) => {
        if (err) {
          err.responses = responses;
          reject(err);
        } else {
          resolve(responses);
        }
      });
    });
  }

  /**
   * socket.io's adapter calls each recipient's onAnyOutgoing listeners as it sends a
   * broadcast; here the core fans out, so the sockets of `nsp` with such listeners (none,
   * usually: then this costs one check) are matched against the selection first.
   */
  _notifyOutgoing(nsp, ev, args) {
    const watchers = nsp._outgoingWatchers;
    if (!watchers || watchers.size === 0) return;
    const selected = new Set(this._ids(nsp));
    for (const socket of [...watchers]) {
      if (nsp.sockets.get(socket.id) === socket) {
        if (selected.has(socket.id)) socket._notifyOutgoing(ev, args);
      } else if (!nsp._pending.has(socket.id)) {
        // Refused by middleware or gone: connecting puts it back (Server#_onConnection).
        watchers.delete(socket);
      }
    }
  }

  _ids(nsp) {
    return nsp.server._command('sockets', nsp.name, [...this._rooms], [...this._except]) || [];
  }

  /**
   * The selected sockets: local ones as the Socket objects themselves, sockets of other
   * cluster nodes as RemoteSocket (id, handshake, rooms, data, emit, join, leave,
   * disconnect), as socket.io's.
   */
  async fetchSockets() {
    const out = [];
    for (const nsp of this._nsp._targets()) {
      if (!nsp.server._clustered || this._flags.local) {
        for (const id of this._ids(nsp)) {
          const s = nsp.sockets.get(id);
          if (s) out.push(s);
        }
        continue;
      }
      const r = await nsp.server._request('fetchSockets', nsp.name, [...this._rooms], [...this._except]);
      for (const d of r.value) out.push(nsp.sockets.get(d.id) || new RemoteSocket(nsp, d));
    }
    return out;
  }

  /** The ids of the selected sockets, as a Set (socket.io's deprecated allSockets()). */
  async allSockets() {
    return new Set((await this.fetchSockets()).map((s) => s.id));
  }

  /** Makes the selected sockets (on every cluster node) join room(s). */
  socketsJoin(room) {
    for (const nsp of this._nsp._targets()) {
      nsp.server._command('socketsJoin', nsp.name, [...this._rooms], [...this._except], list(room), false);
    }
  }

  /** Makes the selected sockets (on every cluster node) leave room(s). */
  socketsLeave(room) {
    for (const nsp of this._nsp._targets()) {
      nsp.server._command('socketsJoin', nsp.name, [...this._rooms], [...this._except], list(room), true);
    }
  }

  /** Disconnects the selected sockets (on every cluster node); with close, their connections. */
  disconnectSockets(close = false) {
    for (const nsp of this._nsp._targets()) {
      nsp.server._command('disconnectSockets', nsp.name, [...this._rooms], [...this._except], !!close);
    }
  }
}

/** A socket of another cluster node, as fetchSockets() returns it. */
class RemoteSocket {
  constructor(nsp, d) {
    this._nsp = nsp;
    this.id = d.id;
    this.handshake = d.handshake;
    this.rooms = new Set(d.rooms);
    this.data = d.data;
  }

  emit(ev, ...args) {
    return this._nsp.to(this.id).emit(ev, ...args);
  }

  join(room) {
    this._nsp.in(this.id).socketsJoin(room);
  }

  leave(room) {
    this._nsp.in(this.id).socketsLeave(room);
  }

  disconnect(close = false) {
    this._nsp.in(this.id).disconnectSockets(close);
    return this;
  }
}

module.exports = { BroadcastOperator, RemoteSocket, list };
