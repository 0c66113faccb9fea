'use strict';
// Serving the engine path (`/socket.io/` by default) of the user's own http.Server, as
// socket.io's `new Server(httpServer)` / `io.attach(httpServer)` does. The core starts with
// no listener of its own (`listen: false`) and gets the connections from here:
//
// - a WebSocket upgrade on a plain TCP socket is handed over whole: the core duplicates the
//   socket's descriptor (`adoptFd`) and reads the upgrade request again from the bytes
//   Node already read; Node then drops its handle. Frames never pass through JavaScript.
// - a polling request (and an upgrade on a socket with no descriptor, such as TLS that
//   Node terminates) goes over a bridge: one core connection per request whose bytes
//   Node carries (`bridge`), spoken to with Node's own HTTP client, the response copied
//   to the user's `res`. The protocol stays in the core.
//
// Other paths go to the listeners the server had, in order (express, ...).

const http = require('node:http');
const { Duplex } = require('node:stream');

/** A test of request URLs against the engine path (with or without its trailing slash). */
function pathMatcher(path) {
  const base = path.replace(/\/+$/, '');
  return (url) => {
    const q = url.indexOf('?');
    const p = q === -1 ? url : url.slice(0, q);
    return p === base || p.startsWith(`${base}/`);
  };
}

/** A Duplex over a new bridged core connection from `socket`'s peer. */
function bridgeStream(native, socket) {
  let bridge = null;
  const stream = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      if (bridge.write(chunk)) cb();
      else cb(new Error('roomcast: the bridged connection is closed'));
    },
    final(cb) {
      bridge.end();
      cb();
    },
    destroy(err, cb) {
      bridge.end();
      cb(err);
    },
  });
  bridge = native.bridge(socket.remoteAddress || '', socket.remotePort || 0, (buf) => {
    stream.push(buf);
  });
  return stream;
}

/** Hop-by-hop headers that belong to one connection, not to the request or response. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** Answers one engine-path request of the user's server through a bridge. */
function handleRequest(native, req, res) {
  let conn;
  try {
    conn = bridgeStream(native, req.socket);
  } catch (err) {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end(`roomcast: ${err.message}`);
    return;
  }
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (!HOP.has(k)) headers[k] = v;
  }
  headers.connection = 'close';
  const proxied = http.request({
    createConnection: () => conn,
    method: req.method,
    path: req.url,
    headers,
    setHost: false,
  });
  proxied.on('response', (pres) => {
    const out = [];
    for (let i = 0; i < pres.rawHeaders.length; i += 2) {
      if (!HOP.has(pres.rawHeaders[i].toLowerCase())) out.push([pres.rawHeaders[i], pres.rawHeaders[i + 1]]);
    }
    res.writeHead(pres.statusCode, pres.statusMessage, out.flat());
    pres.pipe(res);
  });
  proxied.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  // The client went away (e.g. an aborted long poll): so does the core connection.
  res.on('close', () => conn.destroy());
  req.pipe(proxied);
}

/** The upgrade request as the peer sent it (Node decodes header bytes as latin1). */
function requestHead(req) {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Hands one engine-path upgrade to the core: its descriptor when it has one, else a bridge. */
function handleUpgrade(native, req, socket, head, stats) {
  const parts = [requestHead(req), head];
  if (socket.readableLength > 0) parts.push(socket.read());
  const prefix = Buffer.concat(parts);
  const fd = socket._handle && socket._handle.fd;
  if (!socket.encrypted && Number.isInteger(fd) && fd >= 0) {
    try {
      native.adoptFd(fd, prefix);
      stats.adopted += 1;
      // The core has its own descriptor; closing Node's neither shuts the socket down
      // nor resets it.
      socket.destroy();
      return;
    } catch (err) {
      if (err.code === 'ERR_SERVER_STOPPED' || err.code === 'ERR_IO') {
        socket.destroy();
        return;
      }
      // Not a TCP socket after all: bridge it.
    }
  }
  let conn;
  try {
    conn = bridgeStream(native, socket);
  } catch {
    socket.destroy();
    return;
  }
  stats.bridged += 1;
  conn.write(prefix);
  socket.pipe(conn);
  conn.pipe(socket);
  socket.on('error', () => conn.destroy());
  socket.on('close', () => conn.destroy());
  conn.on('error', () => socket.destroy());
}

/**
 * Takes over `path` of `httpServer`: its 'request' listeners then only see other paths.
 * Returns a function that gives the server back (restores the listeners).
 */
function takeOver(httpServer, path, native, stats) {
  const matches = pathMatcher(path);
  const previous = httpServer.listeners('request').slice();
  httpServer.removeAllListeners('request');
  const onRequest = (req, res) => {
    if (matches(req.url)) {
      handleRequest(native, req, res);
      return;
    }
    for (const l of previous) l.call(httpServer, req, res);
  };
  const onUpgrade = (req, socket, head) => {
    // Upgrades of other paths stay with the application's own 'upgrade' listeners.
    if (matches(req.url)) handleUpgrade(native, req, socket, head, stats);
  };
  httpServer.on('request', onRequest);
  httpServer.on('upgrade', onUpgrade);
  return () => {
    httpServer.removeListener('request', onRequest);
    httpServer.removeListener('upgrade', onUpgrade);
    for (const l of previous) httpServer.on('request', l);
  };
}

/**
 * engine.io's `destroyUpgrade`: an upgrade request of none of `paths` that no other
 * listener has answered within `timeout` ms is ended (Node would have closed it had no
 * 'upgrade' listener been added). Returns a function that removes the listener.
 */
function destroyUnhandledUpgrades(httpServer, paths, timeout) {
  const matchers = paths.map(pathMatcher);
  const onUpgrade = (req, socket) => {
    if (matchers.some((m) => m(req.url))) return;
    setTimeout(() => {
      if (socket.writable && socket.bytesWritten <= 0) {
        socket.on('error', () => {});
        socket.end();
      }
    }, timeout).unref();
  };
  httpServer.on('upgrade', onUpgrade);
  return () => httpServer.removeListener('upgrade', onUpgrade);
}

/** True for an http.Server / https.Server (what socket.io's attach takes besides a port). */
function isHttpServer(v) {
  return v !== null && typeof v === 'object' && typeof v.listen === 'function' && typeof v.on === 'function';
}

module.exports = { takeOver, isHttpServer, pathMatcher, destroyUnhandledUpgrades };
