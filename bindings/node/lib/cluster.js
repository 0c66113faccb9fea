'use strict';
// Redis cluster support: redisAdapter() selects the cluster when a Server starts (the
// adapter itself runs in Rust, in @socket.io/redis-adapter's wire format), and Emitter
// publishes into a cluster without a server, like @socket.io/redis-emitter.

const REDIS = Symbol.for('roomcast.redisAdapter');

/**
 * `new Server(port, { adapter: redisAdapter({ url, key, requestsTimeout }) })` (or
 * `io.adapter(redisAdapter(...))` before listen()): joins the cluster of the Node servers
 * using `createAdapter(pub, sub, { key })` on the same Redis. `key` defaults to
 * "socket.io", `requestsTimeout` to 5000 ms. Starting throws when Redis is unreachable.
 */
function redisAdapter(opts = {}) {
  if (typeof opts === 'string') opts = { url: opts };
  const url = opts.url || 'redis://127.0.0.1:6379';
  if (typeof url !== 'string' || !/^(redis|unix):\/\//.test(url)) throw new TypeError('redisAdapter: url must start with redis://');
  for (const k of Object.keys(opts)) {
    if (!['url', 'key', 'requestsTimeout', 'sharded', 'subscriptionMode'].includes(k)) throw new TypeError(`redisAdapter: unsupported option "${k}"`);
  }
  return {
    [REDIS]: {
      url,
      key: opts.key || 'socket.io',
      requestsTimeout: opts.requestsTimeout || 5000,
      sharded: opts.sharded,
      subscriptionMode: opts.subscriptionMode,
    },
  };
}

/**
 * `redisAdapter` in the sharded variant: joins the cluster of Node servers using
 * `createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode })` (Redis 7 sharded
 * pub/sub). `channelPrefix` (or `key`) defaults to "socket.io", `subscriptionMode` to
 * "dynamic".
 */
function shardedRedisAdapter(opts = {}) {
  if (typeof opts === 'string') opts = { url: opts };
  const { channelPrefix, ...rest } = opts;
  if (channelPrefix !== undefined) rest.key = channelPrefix;
  return redisAdapter({ ...rest, sharded: true });
}

/**
 * Publishes into a cluster without running a server:
 * `new Emitter({ url, key }).to('room').emit('event', ...args)` (also `of(nsp)`, `except`,
 * `socketsJoin`, `socketsLeave`, `disconnectSockets`, `serverSideEmit`). Each call returns
 * once Redis accepted the message and throws when it did not.
 */
class Emitter {
  constructor(opts = {}, nsp = '/', rooms = [], except = []) {
    if (opts instanceof Emitter) {
      this._native = opts._native;
    } else {
      const { NativeEmitter } = require('./native');
      if (typeof opts === 'string') opts = { url: opts };
      this._native = new NativeEmitter(opts.url || 'redis://127.0.0.1:6379', opts.key || 'socket.io');
    }
    this._nsp = nsp;
    this._rooms = rooms;
    this._except = except;
  }

  of(nsp) {
    return new Emitter(this, nsp.startsWith('/') ? nsp : `/${nsp}`, [], []);
  }

  to(room) {
    return new Emitter(this, this._nsp, [...this._rooms, ...[].concat(room)], this._except);
  }

  in(room) {
    return this.to(room);
  }

  except(room) {
    return new Emitter(this, this._nsp, this._rooms, [...this._except, ...[].concat(room)]);
  }

  emit(ev, ...args) {
    const [json, bins] = require('./payload').encode(args);
    this._native.emit(this._nsp, this._rooms, this._except, String(ev), json, bins);
    return true;
  }

  socketsJoin(rooms) {
    this._native.request('join', this._nsp, this._rooms, this._except, [].concat(rooms), false, '');
  }

  socketsLeave(rooms) {
    this._native.request('leave', this._nsp, this._rooms, this._except, [].concat(rooms), false, '');
  }

  disconnectSockets(close = false) {
    this._native.request('disconnect', this._nsp, this._rooms, this._except, [], !!close, '');
  }

  serverSideEmit(ev, ...args) {
    if (typeof args[args.length - 1] === 'function') throw new Error('Acknowledgements are not supported');
    this._native.request('serverSideEmit', this._nsp, [], [], [], false, JSON.stringify([String(ev), ...args]));
  }
}

module.exports = { REDIS, redisAdapter, shardedRedisAdapter, Emitter };
