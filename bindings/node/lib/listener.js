'use strict';
// `io.httpServer` when roomcast listens on its own port.

const { EventEmitter } = require('node:events');

/**
 * `io.httpServer` when roomcast listens on its own port (`new Server(3000)`,
 * `new Server().listen(0)`): socket.io creates an http.Server there, and code reads its
 * `address()` (the port picked for 0). Here the core owns that listener, so this is a view
 * of it, not an http.Server: `address()` as net.Server's (the port stays readable after
 * close, as `io.port`), `listening`, and the 'close' event once `io.close()` is done. Requests to other
 * paths are `serveStatic`'s; this object takes no 'request' listeners.
 */
class CoreListener extends EventEmitter {
  constructor(io) {
    super();
    this._io = io;
  }

  /** True from listen() until io.close(). */
  get listening() {
    return !!this._io._native && !this._io._closed;
  }

  /** `{ address, family, port }` of the core's listener, as net.Server#address() (null before listen). */
  address() {
    if (!this._io._native) return null;
    const address = this._io._native.address;
    return { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port: this._io._native.port };
  }
}

/**
 * A copy of an options object (and the objects and arrays in it) without a prototype, for
 * the native side: napi's property listing includes inherited enumerable properties (as
 * for...in), so without it a property someone added to Object.prototype would be read as
 * an unknown option.
 */
function ownOptions(value) {
  if (Array.isArray(value)) return value.map(ownOptions);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = ownOptions(v);
  return out;
}

module.exports = { CoreListener, ownOptions };
