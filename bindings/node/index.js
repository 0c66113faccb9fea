'use strict';
// roomcast for Node: socket.io's Server API, with the protocol, rooms and fan-out in Rust.
//
//   const { Server } = require('roomcast');
//   const io = new Server(3000);
//   io.on('connection', (socket) => socket.on('ping', (ack) => ack('pong')));

const { Server } = require('./lib/server');
const { Namespace, ParentNamespace } = require('./lib/namespace');
const { Socket } = require('./lib/socket');
const { BroadcastOperator } = require('./lib/broadcast');
const native = require('./lib/native');
const log = require('./lib/log');

/** `require('roomcast')(3000, opts)` works like `new Server(3000, opts)`, as socket.io's. */
function createServer(srv, opts) {
  return new Server(srv, opts);
}

module.exports = createServer;
module.exports.Server = Server;
module.exports.Namespace = Namespace;
module.exports.ParentNamespace = ParentNamespace;
module.exports.Socket = Socket;
module.exports.BroadcastOperator = BroadcastOperator;
module.exports.redisAdapter = require('./lib/cluster').redisAdapter;
module.exports.shardedRedisAdapter = require('./lib/cluster').shardedRedisAdapter;
module.exports.Emitter = require('./lib/cluster').Emitter;
module.exports.setLogger = log.setLogger;
module.exports.setLogFilter = log.setLogFilter;
/** @socket.io/admin-ui's `instrument(io, { auth, readonly, mode, namespaceName, serverId })`. */
module.exports.instrument = require('./lib/admin').instrument;
module.exports.default = createServer;
/** The roomcast version (the native module's, from the Cargo workspace; equals package.json's). */
module.exports.version = native.version();
