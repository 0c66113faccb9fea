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

  /** Drops the packet for clients that cannot take it right now. */
  get volatile() {
    return new BroadcastOperator(this._nsp, this._rooms, this._except, { ...this._flags, volatile: true });
  }

  /** This node only (there is one node: no effect). */
  get local() {
    return new BroadcastOperator(this._nsp, this._rooms, this._except, { ...this._flags, local: true });
  }

  /** Accepted for compatibility; compression is not applied. */
  compress() {
    return this;
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
    if (!ack) {
      for (const nsp of targets) server._command('emit', nsp.name, rooms, except, volatile, String(ev), json, bins);
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
      server._emitWithAck(nsp.name, rooms, except, volatile, String(ev), json, bins, this._flags.timeout, done);
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

  _ids(nsp) {
    return nsp.server._command('sockets', nsp.name, [...this._rooms], [...this._except]) || [];
  }

  /** The selected sockets (the Socket objects themselves: there is one node). */
  fetchSockets() {
    const out = [];
    for (const nsp of this._nsp._targets()) {
      for (const id of this._ids(nsp)) {
        const s = nsp.sockets.get(id);
        if (s) out.push(s);
      }
    }
    return Promise.resolve(out);
  }

  /** Makes the selected sockets join room(s). */
  socketsJoin(room) {
    for (const nsp of this._nsp._targets()) {
      for (const id of this._ids(nsp)) nsp.server._command('join', nsp.name, id, list(room));
    }
  }

  /** Makes the selected sockets leave room(s). */
  socketsLeave(room) {
    for (const nsp of this._nsp._targets()) {
      for (const id of this._ids(nsp)) nsp.server._command('leave', nsp.name, id, list(room));
    }
  }

  /** Disconnects the selected sockets; with close, their whole connections. */
  disconnectSockets(close = false) {
    for (const nsp of this._nsp._targets()) {
      for (const id of this._ids(nsp)) nsp.server._command('disconnect', nsp.name, id, !!close);
    }
  }
}

module.exports = { BroadcastOperator, list };
