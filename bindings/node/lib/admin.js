'use strict';
// instrument(io, options): the Socket.IO admin UI (@socket.io/admin-ui's dashboard) on a
// roomcast server, with @socket.io/admin-ui's options. The admin namespace is served by the
// core (credentials, stats, socket list, actions): no JavaScript runs for it.

const OPTIONS = new Set(['auth', 'readonly', 'mode', 'namespaceName', 'serverId', 'store']);

/** @socket.io/admin-ui's options as the core's `admin_ui*` options (camelCase); throws naming a bad one. */
function adminOptions(opts) {
  if (opts === undefined || opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError('instrument(io, options): options must be an object');
  }
  for (const k of Object.keys(opts)) {
    if (!OPTIONS.has(k)) throw new TypeError(`instrument: option ${k} is not supported`);
  }
  const out = { adminUi: true };
  const { auth } = opts;
  if (auth === undefined) {
    throw new TypeError('instrument: the `auth` option must be specified or explicitly set to `false`');
  } else if (auth === false) {
    out.adminUiAuth = false;
  } else if (auth && auth.type === 'basic') {
    for (const k of Object.keys(auth)) {
      if (!['type', 'username', 'password'].includes(k)) throw new TypeError(`instrument: auth.${k} is not supported`);
    }
    if (typeof auth.username !== 'string') throw new TypeError('instrument: auth.username must be a string');
    if (typeof auth.password !== 'string') throw new TypeError('instrument: auth.password must be a bcrypt hash (a string)');
    out.adminUiUsername = auth.username;
    out.adminUiPassword = auth.password;
  } else {
    throw new TypeError('instrument: invalid `auth` option: false or { type: "basic", username, password }');
  }
  if (opts.readonly !== undefined) {
    if (typeof opts.readonly !== 'boolean') throw new TypeError('instrument: readonly must be a boolean');
    out.adminUiReadonly = opts.readonly;
  }
  // As @socket.io/admin-ui: the default is NODE_ENV, and anything but "development" shows
  // the stats only.
  const mode = opts.mode !== undefined ? opts.mode : process.env.NODE_ENV || 'development';
  if (opts.mode !== undefined && mode !== 'development' && mode !== 'production') {
    throw new TypeError('instrument: mode must be "development" or "production"');
  }
  out.adminUiMode = mode === 'development' ? 'development' : 'production';
  if (opts.namespaceName !== undefined) out.adminUiNamespace = opts.namespaceName;
  if (opts.serverId !== undefined) out.adminUiServerId = opts.serverId;
  if (opts.store !== undefined) {
    throw new TypeError('instrument: store is not supported (the core keeps dashboard sessions in memory, one per login, at most 1024)');
  }
  return out;
}

/**
 * `instrument(io, { auth, readonly, mode, namespaceName, serverId })` as @socket.io/admin-ui's:
 * before `listen()` it becomes part of the server's options (the dashboard's byte and
 * packet charts then work); on a listening server it starts at once (those charts need
 * `metrics: true` then). Throws on a bad option, naming it, and when called twice.
 */
function instrument(io, opts) {
  const { Server } = require('./server');
  if (!(io instanceof Server)) throw new TypeError('instrument(io, options): io must be a roomcast Server');
  const core = adminOptions(opts);
  if (io._admin) throw new Error('instrument: the admin UI is already on');
  if (io._native) {
    io._native.instrument(core);
  } else {
    require('./native').checkOptions(core);
  }
  io._admin = core;
}

module.exports = { instrument, adminOptions };
