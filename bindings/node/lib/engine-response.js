'use strict';
// The `res` engine middlewares get (io.engine.use): a ServerResponse-like object that
// writes nothing. It collects the headers middlewares set (express-session's Set-Cookie,
// set from its writeHead hook) so that the core adds them to the handshake's response,
// and it tells whether a middleware answered the request itself (res.end before next()).
// No socket is behind it, so nothing a middleware does with it can hold a connection.

const { EventEmitter } = require('node:events');

/** Headers that belong to the core's own response or to the connection, never copied. */
const OWN = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'content-type', 'date', 'sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-protocol']);

class EngineResponse extends EventEmitter {
  constructor(req, onEnd) {
    super();
    this.req = req;
    this.statusCode = 200;
    this.statusMessage = '';
    this.sendDate = false;
    this._header = null;
    this._headers = new Map();
    this._body = [];
    this._onEnd = onEnd;
    this.writableEnded = false;
    this.finished = false;
  }

  get headersSent() {
    return this._header !== null;
  }

  setHeader(name, value) {
    this._headers.set(String(name).toLowerCase(), [String(name), value]);
    return this;
  }

  appendHeader(name, value) {
    const prev = this.getHeader(name);
    if (prev === undefined) return this.setHeader(name, value);
    return this.setHeader(name, [].concat(prev, value));
  }

  getHeader(name) {
    const h = this._headers.get(String(name).toLowerCase());
    return h && h[1];
  }

  getHeaders() {
    const out = {};
    for (const [k, [, v]] of this._headers) out[k] = v;
    return out;
  }

  getHeaderNames() {
    return [...this._headers.keys()];
  }

  hasHeader(name) {
    return this._headers.has(String(name).toLowerCase());
  }

  removeHeader(name) {
    this._headers.delete(String(name).toLowerCase());
  }

  /** writeHead(status[, message][, headers]): headers as an object or a flat/2-D array. */
  writeHead(status, message, headers) {
    if (typeof message !== 'string') {
      headers = message;
      message = undefined;
    }
    if (typeof status === 'number') this.statusCode = status;
    if (message) this.statusMessage = message;
    if (Array.isArray(headers)) {
      const pairs = Array.isArray(headers[0]) ? headers : [];
      if (pairs.length === 0) for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
      for (const [k, v] of pairs) this.appendHeader(k, v);
    } else if (headers && typeof headers === 'object') {
      for (const [k, v] of Object.entries(headers)) this.setHeader(k, v);
    }
    this._header = true;
    return this;
  }

  _implicitHeader() {
    this.writeHead(this.statusCode);
  }

  write(chunk) {
    if (!this._header) this._implicitHeader();
    if (chunk !== undefined && chunk !== null) this._body.push(Buffer.from(chunk));
    return true;
  }

  end(chunk, encoding, cb) {
    if (typeof chunk === 'function') [cb, chunk] = [chunk, undefined];
    if (typeof encoding === 'function') cb = encoding;
    if (this.writableEnded) return this;
    if (chunk !== undefined && chunk !== null) this.write(chunk);
    if (!this._header) this._implicitHeader();
    this.writableEnded = true;
    this.finished = true;
    this._onEnd(this);
    this.emit('finish');
    this.emit('close');
    if (typeof cb === 'function') cb();
    return this;
  }

  /** The collected headers as [name, value] pairs for the core (repeated values split). */
  _headerPairs() {
    const out = [];
    for (const [lower, [name, value]] of this._headers) {
      if (OWN.has(lower) || value === undefined || value === null) continue;
      for (const v of [].concat(value)) out.push([name, String(v)]);
    }
    return out;
  }

  /** What the middleware wrote, as text (the refusal's message when it answered itself). */
  _text() {
    return Buffer.concat(this._body).toString('utf8');
  }
}

module.exports = { EngineResponse };
