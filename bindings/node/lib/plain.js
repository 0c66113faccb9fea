'use strict';
// Plain WebSocket routes in the shape of the `ws` module, so code written for it ports:
//
//   const chat = io.ws('/ws/chat', { delivery: 'first_arg' });   // before listen()
//   chat.on('connection', (ws, req) => {
//     ws.join('KPL');                                           // Socket.IO rooms
//     ws.on('message', (message) => io.to('KPL').except(ws.id).emit('talk', message));
//   });
//
// `io.ws()` returns a WebSocketRoute (like ws's WebSocketServer: `connection`, `clients`);
// each connection is a PlainSocket (like ws's WebSocket: `send`, `close(code, reason)`,
// `readyState`, events `message` and `close`) with an `id` and `join`/`leave`/`rooms` on
// the rooms it shares with the Socket.IO sockets of its namespace. The protocol, rooms
// and fan-out live in Rust; this file only shapes the API.

const { EventEmitter } = require('node:events');
const http = require('node:http');

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** The upgrade request as a plain object shaped like Node's IncomingMessage. */
function upgradeRequest(hs) {
  const remote = { remoteAddress: hs.address };
  return {
    method: 'GET',
    url: hs.url,
    headers: hs.headers,
    cookies: hs.cookies,
    query: Object.fromEntries(new URLSearchParams(hs.query)),
    connection: remote,
    socket: remote,
  };
}

/** One plain WebSocket connection (ws's `WebSocket` on the server side). */
class PlainSocket extends EventEmitter {
  constructor(route, id, req) {
    super();
    this.id = id;
    this.route = route;
    /** The upgrade request (`upgradeReq` is the name `ws` 1.x used). */
    this.request = req;
    this.upgradeReq = req;
    this.readyState = OPEN;
    this.protocol = '';
  }

  /**
   * Sends a string as a text frame, a Buffer / ArrayBuffer / typed array as a binary frame
   * (`{ binary: false }` sends it as text); `cb(err)` runs once queued. After close, `cb`
   * gets an error (without `cb` nothing happens), as with ws.
   */
  send(data, options, cb) {
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    options = options || {};
    if (this.readyState !== OPEN) {
      if (cb) queueMicrotask(() => cb(new Error(`WebSocket is not open: readyState ${this.readyState}`)));
      return;
    }
    let payload;
    if (typeof data === 'string') payload = data;
    else if (Buffer.isBuffer(data)) payload = data;
    else if (data instanceof ArrayBuffer) payload = Buffer.from(data);
    else if (ArrayBuffer.isView(data)) payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    else payload = String(data);
    if (options.binary === false && typeof payload !== 'string') payload = payload.toString();
    if (options.binary === true && typeof payload === 'string') payload = Buffer.from(payload);
    try {
      this.route._server._command('plainSend', this.id, payload);
    } catch (err) {
      if (cb) queueMicrotask(() => cb(err));
      else throw err;
      return;
    }
    if (cb) queueMicrotask(() => cb());
  }

  /** Puts the connection in a room or rooms of its namespace (beside its Socket.IO sockets). */
  join(rooms) {
    this.route._server._command('plainJoin', this.id, [].concat(rooms).map(String));
    return this;
  }

  /** Takes it out of a room or rooms. */
  leave(rooms) {
    this.route._server._command('plainLeave', this.id, [].concat(rooms).map(String));
    return this;
  }

  /** Its rooms (its own id included), as socket.io's `socket.rooms`. */
  get rooms() {
    return new Set(this.route._server._command('plainRooms', this.id) || []);
  }

  /**
   * Closes with a close frame after what is queued: `code` 1000 (default), 1001-1003,
   * 1007-1014 or 3000-4999, `reason` at most 123 bytes; anything else throws
   * ERR_INVALID_ARGUMENT. Then `close` is emitted with the code and reason.
   */
  close(code = 1000, reason = '') {
    if (this.readyState !== OPEN) return;
    this.route._server._command('plainClose', this.id, code, String(reason));
    this.readyState = CLOSING;
  }

  /** Closes at once (1000 after what is queued: the core never leaves a socket half open). */
  terminate() {
    this.close(1000, '');
  }
}
PlainSocket.CONNECTING = CONNECTING;
PlainSocket.OPEN = OPEN;
PlainSocket.CLOSING = CLOSING;
PlainSocket.CLOSED = CLOSED;

/** Options this layer reads itself; the rest go to the core under their names. */
const LAYER = new Set(['verifyClient', 'maxPayload']);

/** A plain WebSocket route (ws's `WebSocketServer` for one path). */
class WebSocketRoute extends EventEmitter {
  constructor(server, path, options) {
    super();
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError(`io.ws(path): the path must be a string starting with "/" (got ${JSON.stringify(path)})`);
    }
    options = options || {};
    if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError('io.ws(path, options): options must be an object');
    if (options.verifyClient !== undefined && typeof options.verifyClient !== 'function') {
      throw new TypeError('verifyClient must be a function (info[, callback])');
    }
    this._server = server;
    this.path = path;
    this.options = options;
    /** The open connections, as ws's `wss.clients`. */
    this.clients = new Set();
    this._byId = new Map();
  }

  /** The route's options for the core (names in camelCase; durations in ms). */
  _nativeOptions() {
    const out = {};
    for (const [k, v] of Object.entries(this.options)) {
      if (!LAYER.has(k) && v !== undefined) out[k] = v;
    }
    // ws calls it maxPayload.
    if (this.options.maxPayload !== undefined) out.maxMessageSize = this.options.maxPayload;
    if (this.options.verifyClient) out.verify = true;
    return out;
  }

  /**
   * ws's `verifyClient(info, callback(result, code, message))` (or `verifyClient(info)`
   * returning a boolean), before the 101: a refusal answers the upgrade with `code`
   * (default 401) and `message`. One that never answers is refused by the core after
   * `allowRequestTimeout` (10 s).
   */
  _onRequest(requestId, hs) {
    const req = upgradeRequest(hs);
    const info = { origin: hs.headers.origin, secure: false, req };
    let answered = false;
    const callback = (result, code = 401, message) => {
      if (answered) return;
      answered = true;
      if (result) {
        this._server._command('allowRequest', requestId, true);
      } else {
        const status = Number(code) || 401;
        this._server._command('allowRequest', requestId, false, status, message ? String(message) : http.STATUS_CODES[status] || 'Unauthorized');
      }
    };
    try {
      const verify = this.options.verifyClient;
      if (verify.length >= 2) verify(info, callback);
      else callback(!!verify(info));
    } catch (err) {
      callback(false, 500);
      throw err;
    }
  }

  _onConnection(id, hs) {
    const req = upgradeRequest(hs);
    const ws = new PlainSocket(this, id, req);
    this._byId.set(id, ws);
    this.clients.add(ws);
    this.emit('connection', ws, req);
  }

  /** Text arrives as a string, binary as a Buffer; the second argument says which. */
  _onMessage(id, data) {
    const ws = this._byId.get(id);
    if (ws) ws.emit('message', data, typeof data !== 'string');
  }

  _onClose(id, code, reason) {
    const ws = this._byId.get(id);
    if (!ws) return;
    this._byId.delete(id);
    this.clients.delete(ws);
    ws.readyState = CLOSED;
    ws.emit('close', code, reason);
  }
}

module.exports = { WebSocketRoute, PlainSocket };
