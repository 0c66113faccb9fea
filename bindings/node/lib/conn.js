'use strict';
// socket.conn: the Engine.IO connection a socket rides on, shared by the sockets of one
// client (one per namespace), as engine.io's Socket: `id`, `request`, `transport.name`
// ('polling' or 'websocket', asked of the core each time), `readyState`, `upgraded`,
// `remoteAddress`, `protocol`, `close()`, and the events `upgrade` (the core reports
// upgrades once something listens for them) and `close` (when its last socket left with
// a transport reason).

const { EventEmitter } = require('node:events');

/** Reasons of a socket's disconnect that mean its connection is gone. */
const CLOSED_BY = new Set(['transport close', 'transport error', 'ping timeout', 'parse error', 'forced close', 'forced server close', 'server shutting down', 'slow consumer', 'inbound overflow']);

/** engine.io's transport object, reduced to what a host reads: its live name. */
class Transport {
  constructor(conn) {
    Object.defineProperty(this, '_conn', { value: conn });
  }

  /** 'polling' or 'websocket' (still 'polling' while an upgrade is in progress). */
  get name() {
    return this._conn._transportName();
  }

  get writable() {
    return this._conn.readyState === 'open';
  }
}

class Conn extends EventEmitter {
  constructor(engine, id, request, transport) {
    super();
    this._engine = engine;
    this.id = id;
    this.request = request;
    this.protocol = 4;
    this.remoteAddress = request.connection.remoteAddress;
    this._last = transport;
    this._startedPolling = transport === 'polling';
    this._upgradeSeen = false;
    this._closed = false;
    this._sockets = 0;
    this.transport = new Transport(this);
    this.on('newListener', (ev) => {
      if (ev === 'upgrade') this._listenUpgrade();
    });
  }

  /** Whether the connection is on WebSocket now (engine.io's `upgraded` after an upgrade). */
  get upgraded() {
    return this._transportName() === 'websocket';
  }

  /**
   * The first 'upgrade' listener turns the core's upgrade reports on. The client may
   * have upgraded already (it probes right after the handshake, before the connection
   * handler that registers the listener ran): then the event is delivered now, once.
   */
  _listenUpgrade() {
    if (this._upgradeSeen || !this._startedPolling) return;
    this._engine._wantUpgrades();
    if (this._transportName() === 'websocket') setImmediate(() => this._onUpgrade());
  }

  _transportName() {
    if (this._closed) return this._last;
    const name = this._engine._transportOf(this.id);
    if (name) this._last = name;
    return this._last;
  }

  /** 'open' while the core has the connection, then 'closed'. */
  get readyState() {
    if (this._closed) return 'closed';
    return this._engine._transportOf(this.id) ? 'open' : 'closed';
  }

  /** Closes the connection: every socket on it disconnects with "forced close". */
  close() {
    this._engine._closeConnection(this.id);
    return this;
  }

  /** The core reported the upgrade to WebSocket. */
  _onUpgrade() {
    if (this._upgradeSeen) return;
    this._upgradeSeen = true;
    this._last = 'websocket';
    this.emit('upgrade', this.transport);
  }

  /** One of its sockets left for `reason`; returns true when the connection is done. */
  _detach(reason) {
    this._sockets -= 1;
    if (this._sockets > 0) return false;
    if (CLOSED_BY.has(reason) && !this._closed) {
      this._closed = true;
      this.emit('close', reason);
    }
    return true;
  }
}

module.exports = { Conn };
