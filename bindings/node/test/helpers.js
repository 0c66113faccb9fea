'use strict';
// Shared test helpers: the real socket.io-client (from tests/node), servers on free ports.

const path = require('node:path');
const { createRequire } = require('node:module');

const repo = path.join(__dirname, '..', '..', '..');
const clientRequire = createRequire(path.join(repo, 'tests', 'node', 'package.json'));
const { io: ioc } = clientRequire('socket.io-client');
// The package as a user installed it (scripts/test-node-binding.sh sets NODE_PATH to a
// fresh `npm install` of bindings/node), else this checkout.
let roomcast;
let native;
try {
  roomcast = require('roomcast');
  native = require('roomcast/lib/native');
} catch {
  roomcast = require('..');
  native = require('../lib/native');
}

/** A server on a free loopback port; closed by the returned cleanup. */
function serve(t, opts = {}) {
  const io = new roomcast.Server({ host: '127.0.0.1', ...opts });
  io.listen(0);
  io.testClients = [];
  // Clients leave first, so close() has no connection left to wait for.
  t.after(() => {
    for (const c of io.testClients) c.disconnect();
    return io.close();
  });
  return io;
}

/** A connected client (websocket unless given); disconnected after the test. */
function client(t, io, nsp = '/', opts = {}) {
  const socket = ioc(`http://127.0.0.1:${io.port}${nsp}`, { forceNew: true, reconnection: false, transports: ['websocket'], ...opts });
  if (io.testClients) io.testClients.push(socket);
  else t.after(() => socket.disconnect());
  return socket;
}

/** Resolves with the arguments of the next `ev` on `emitter`. */
function once(emitter, ev) {
  return new Promise((resolve) => emitter.once(ev, (...args) => resolve(args)));
}

/** Resolves once `n` events were seen (an array of each call's arguments). */
function collect(emitter, ev, n) {
  return new Promise((resolve) => {
    const seen = [];
    const on = (...args) => {
      seen.push(args);
      if (seen.length === n) {
        emitter.off(ev, on);
        resolve(seen);
      }
    };
    emitter.on(ev, on);
  });
}

async function connected(socket) {
  if (!socket.connected) await once(socket, 'connect');
  return socket;
}

/** Resolves with the server-side socket of the next connection to `nsp`. */
function nextConnection(nsp) {
  return once(nsp, 'connection').then(([s]) => s);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { ioc, roomcast, native, serve, client, once, collect, connected, nextConnection, sleep, repo };
