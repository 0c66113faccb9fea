'use strict';
// io.engine: socket.io's Engine.IO server object, over the core's engine: `clientsCount`
// (the core's open connections), `use()` (engine middleware, on the user's http.Server),
// `connection_error` for requests an engine middleware refused (the requests the core
// itself refuses, such as an unknown sid, are not reported yet), and `generateId`
// (refused with an error: the core assigns Engine.IO ids).

const { EventEmitter } = require('node:events');

/** socket.io's engine error messages by code (engine.io Server.errorMessages). */
const MESSAGES = ['Transport unknown', 'Session ID unknown', 'Bad handshake method', 'Bad request', 'Forbidden', 'Unsupported protocol version'];

class Engine extends EventEmitter {
  constructor(io) {
    super();
    this._io = io;
    this._middlewares = [];
  }

  /** Open Engine.IO connections (of this node), as engine.io's clientsCount. */
  get clientsCount() {
    const n = this._io._native;
    return n && !this._io._closed ? n.connectionCount() : 0;
  }

  get opts() {
    return this._io.opts;
  }

  /**
   * Engine middleware (socket.io's `io.engine.use`): not supported yet, refused with an
   * error naming it (use `allowRequest` for a verdict on each handshake).
   */
  use(_fn) {
    throw new Error('io.engine.use is not supported yet: roomcast runs no Node middleware on engine requests (use allowRequest)');
  }

  /** engine.io's generateId hook: refused, the core assigns Engine.IO ids. */
  set generateId(_fn) {
    throw new Error('io.engine.generateId is not supported: the core assigns Engine.IO session ids');
  }

  get generateId() {
    return undefined;
  }

  /** Runs the middlewares on (req, res); done(err) once. */
  _apply(req, res, done) {
    const fns = this._middlewares;
    if (fns.length === 0) {
      done();
      return;
    }
    let i = 0;
    const next = (err) => {
      if (err) {
        done(err);
        return;
      }
      const fn = fns[i++];
      if (!fn) {
        done();
        return;
      }
      try {
        fn(req, res, next);
      } catch (e) {
        done(e);
      }
    };
    next();
  }

  /** Emits `connection_error` as engine.io does: { req, code, message, context }. */
  _connectionError(req, code, message, context = {}) {
    if (this.listenerCount('connection_error') === 0) return;
    this.emit('connection_error', { req, code, message: message || MESSAGES[code] || 'Bad request', context });
  }
}

module.exports = { Engine, MESSAGES };
