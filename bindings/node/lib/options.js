'use strict';
// Every option socket.io 4.8 documents (its ServerOptions and engine.io's ServerOptions and
// AttachOptions), and what roomcast does with it: honoured, accepted (the value is what
// roomcast does anyway), or refused with a TypeError that names it and says why. The
// README's "Options of socket.io" table lists the same rows. Options that are not
// socket.io's (roomcast's own, such as `host` or `maxBufferedFrames`) go to the core under
// their camelCase names, and the core refuses an unknown one by name (ERR_INVALID_CONFIG).

/** cors package defaults that roomcast's preflight answers already give. */

const honoured = (where) => ({ status: 'honoured', where, check() {} });

/** Accepted when `ok(value)`; any other value is refused with `why`. */
const accepted = (ok, where, why) => ({
  status: 'accepted',
  where,
  check(name, v) {
    if (!ok(v)) throw new TypeError(`${name}: ${why}`);
  },
});

/** Refused whatever the value (undefined aside). */
const refused = (why) => ({
  status: 'refused',
  where: why,
  check(name) {
    throw new TypeError(`${name} is not supported: ${why}`);
  },
});

/** The transport names roomcast serves; webtransport is refused by name. */
function checkTransports(name, v) {
  if (!Array.isArray(v)) throw new TypeError(`${name} must be an array of "polling" and "websocket"`);
  for (const t of v) {
    if (t === 'webtransport') throw new TypeError(`${name}: "webtransport" is not supported (roomcast serves "polling" and "websocket")`);
    if (t !== 'polling' && t !== 'websocket') throw new TypeError(`${name}: unknown transport ${JSON.stringify(t)} (roomcast serves "polling" and "websocket")`);
  }
}

/**
 * socket.io's options, keyed by name. `check(name, value)` throws a TypeError naming the
 * option when roomcast cannot do what the value asks; `where` says what roomcast does.
 */
const SOCKET_IO_OPTIONS = new Map(Object.entries({
  // socket.io's ServerOptions
  path: honoured('the core\'s `path`: the Engine.IO endpoint'),
  serveClient: honoured('serves socket.io-client\'s dist/ (found in node_modules) at <path>socket.io.min.js and friends (the core\'s `client_dist_dir`; `clientDir` picks the folder)'),
  adapter: honoured('`roomcast.redisAdapter({ url, key, ... })` / `shardedRedisAdapter`: the cluster is joined in Rust; any other adapter (a Node adapter class) is refused by name'),
  parser: honoured('socket.io-parser (default) and socket.io-msgpack-parser, recognised by their wire format (the core\'s `parser`); any other parser is refused by name'),
  connectTimeout: honoured('the core\'s `connect_timeout`'),
  connectionStateRecovery: honoured('the core\'s `recovery_*` options (maxDisconnectionDuration, skipMiddlewares; roomcast adds maxPackets)'),
  cleanupEmptyChildNamespaces: honoured('the core\'s `cleanup_empty_child_namespaces`'),
  // engine.io's ServerOptions
  pingTimeout: honoured('the core\'s `ping_timeout`'),
  pingInterval: honoured('the core\'s `ping_interval`'),
  upgradeTimeout: accepted((v) => v === undefined || v === 10000, 'roomcast cancels an upgrade not completed within 10 s, engine.io\'s default', 'only 10000 (ms) is supported: roomcast cancels an unfinished upgrade after 10 s'),
  maxHttpBufferSize: honoured('the core\'s `max_payload` (a WebSocket message or a polling POST body)'),
  allowRequest: honoured('asked about every handshake (the core\'s `allow_request` round trip), fn(req, callback)'),
  transports: { status: 'honoured', where: 'the core\'s `allow_polling` / `allow_websocket`; "webtransport" is refused by name', check: checkTransports },
  allowUpgrades: accepted((v) => v === undefined || v === true, 'roomcast always offers the polling to WebSocket upgrade', 'only true is supported (roomcast always offers the upgrade); use transports: ["polling"] for a polling-only server'),
  perMessageDeflate: honoured('the core\'s `per_message_deflate` (threshold; serverNoContextTakeover and clientNoContextTakeover true)'),
  httpCompression: accepted((v) => v === undefined || v === false, 'roomcast does not compress long-polling responses', 'only false is supported: roomcast does not compress long-polling responses (perMessageDeflate compresses WebSocket messages)'),
  wsEngine: refused('the WebSocket server is roomcast\'s own (in Rust); it takes no ws-compatible engine'),
  initialPacket: refused('roomcast sends no extra packet with the Engine.IO handshake'),
  cookie: accepted((v) => v === undefined || v === false, 'no cookie, engine.io\'s default', 'only false is supported: roomcast sets no session-id cookie (for sticky sessions, balance on the sid query parameter)'),
  cors: honoured('the core\'s `cors_origins`, `cors_origin_patterns`, `cors_origin_hook` and `cors_credentials`: origin ("*", true, false, a string, a RegExp, an array of strings and RegExps, or a function (origin, callback) asked about every request) and credentials; allowedHeaders, exposedHeaders and maxAge (the core\'s `cors_allowed_headers`, `cors_exposed_headers`, `cors_max_age`); methods (the core\'s `cors_methods`); preflightContinue and optionsSuccessStatus with the cors package\'s defaults (what roomcast answers); other values and a function as the whole cors option are refused by name'),
  allowEIO3: accepted((v) => v === undefined || v === false, 'Engine.IO v4 clients only, engine.io\'s default', 'only false is supported: roomcast speaks Engine.IO v4 (Socket.IO v3+ clients), not v3'),
  // engine.io's AttachOptions
  addTrailingSlash: accepted((v) => v === undefined || typeof v === 'boolean', 'roomcast answers the path with and without its trailing slash, so both values work', 'must be a boolean'),
  destroyUpgrade: honoured('on an attached http.Server, an upgrade of another path that no listener answers is ended after destroyUpgradeTimeout (true, the default) or left alone (false); roomcast\'s own listener answers such a request with 404 at once'),
  destroyUpgradeTimeout: honoured('see destroyUpgrade (default 1000 ms)'),
}));

/** Checks the user's own keys of `opts` against the table; throws a TypeError naming one. */
function checkOptions(opts) {
  if (!opts) return;
  for (const name of Object.keys(opts)) {
    const row = SOCKET_IO_OPTIONS.get(name);
    const v = opts[name];
    if (row && v !== undefined) row.check(name, v);
  }
  if (opts.destroyUpgrade !== undefined && typeof opts.destroyUpgrade !== 'boolean') throw new TypeError('destroyUpgrade must be a boolean');
  const t = opts.destroyUpgradeTimeout;
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && Number.isFinite(t))) throw new TypeError('destroyUpgradeTimeout must be a number of milliseconds');
}

const CORS_KEYS = new Set(['origin', 'credentials', 'methods', 'allowedHeaders', 'exposedHeaders', 'maxAge', 'preflightContinue', 'optionsSuccessStatus']);

/**
 * A cors header option (methods, allowedHeaders, exposedHeaders) as the core takes it: null when
 * falsy (the cors package's default), else a string as is or an array (joined by the core).
 */
function corsHeaderValue(name, v) {
  if (!v) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw new TypeError(`cors.${name} must be a string or an array of strings`);
}

/** cors.maxAge (seconds, a number or a numeric string) as the core's cors_max_age, or null. */
function corsMaxAge(v) {
  if (v === undefined || v === null || v === false || v === '') return null;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new TypeError(`cors.maxAge must be a whole number of seconds, 0 or more; got ${JSON.stringify(v)}`);
  return n;
}

/**
 * socket.io's `cors` (the cors package's options) as the core's cors options, or null.
 * Returns `{ native, originFn }`: `native` the core options, `originFn` the function that
 * decides each request's origin when cors.origin is a function (see engine.js).
 */
function corsOptions(cors) {
  if (cors === undefined || cors === null || cors === false) return null;
  if (typeof cors === 'function') throw new TypeError('cors as a function (a per-request options delegate) is not supported: give an object, with cors.origin a function (origin, callback) to decide each origin');
  if (cors === true) cors = {};
  if (typeof cors !== 'object' || Array.isArray(cors)) throw new TypeError('cors must be an object of the cors package\'s options');
  for (const k of Object.keys(cors)) {
    if (!CORS_KEYS.has(k)) throw new TypeError(`cors.${k} is not supported (roomcast takes ${[...CORS_KEYS].join(', ')})`);
  }
  const o = cors.origin === undefined ? '*' : cors.origin;
  // The cors package: a false origin sends no CORS headers at all.
  if (o === false || o === null) return null;
  const native = {};
  let originFn = null;
  if (typeof o === 'function') {
    originFn = o;
    native.corsOriginHook = true;
  } else {
    const { exact, patterns } = originList(o);
    if (exact.length) native.corsOrigins = exact;
    if (patterns.length) native.corsOriginPatterns = patterns;
  }
  native.corsCredentials = !!cors.credentials;
  // The preflight's Access-Control-Allow-Methods, as the cors package sends it (a falsy
  // value: its default list, which the core sends by default too).
  const methods = corsHeaderValue('methods', cors.methods);
  if (methods !== null) native.corsMethods = methods;
  // The cors package: a falsy allowedHeaders reflects the preflight's requested headers
  // (the core's default); a string is sent as is, an array joined with ",".
  const allowed = corsHeaderValue('allowedHeaders', cors.allowedHeaders);
  if (allowed !== null) native.corsAllowedHeaders = allowed;
  const exposed = corsHeaderValue('exposedHeaders', cors.exposedHeaders);
  if (exposed !== null) native.corsExposedHeaders = exposed;
  const maxAge = corsMaxAge(cors.maxAge);
  if (maxAge !== null) native.corsMaxAge = maxAge;
  if (cors.preflightContinue !== undefined && cors.preflightContinue !== false) throw new TypeError('cors.preflightContinue: only false is supported (roomcast answers preflight requests itself)');
  if (cors.optionsSuccessStatus !== undefined && cors.optionsSuccessStatus !== 204) throw new TypeError('cors.optionsSuccessStatus: only 204 is supported');
  return { native, originFn };
}

/** RegExp flags with a meaning the core's patterns keep: i, m, s become inline flags. */
const INLINE_FLAGS = ['i', 'm', 's'];

/**
 * A RegExp as the core's pattern (the regex crate's syntax, which the usual origin
 * expressions share with JavaScript; one it cannot compile is refused at listen() with
 * ERR_INVALID_CONFIG naming cors_origin_patterns). Like `RegExp#test`, it matches
 * anywhere in the origin.
 */
function corePattern(re) {
  for (const f of re.flags) {
    if (!'dgimsu'.includes(f)) throw new TypeError(`cors.origin: the RegExp flag "${f}" is not supported (roomcast takes d, g, i, m, s and u)`);
  }
  const inline = INLINE_FLAGS.filter((f) => re.flags.includes(f)).join('');
  return inline ? `(?${inline})${re.source}` : re.source;
}

/** A cors.origin that is not a function: exact origins (`"*"` for any) and patterns. */
function originList(o) {
  if (o === true || o === '*') return { exact: ['*'], patterns: [] };
  const list = Array.isArray(o) ? o : [o];
  const exact = [];
  const patterns = [];
  for (const x of list) {
    if (typeof x === 'string') exact.push(x);
    else if (x instanceof RegExp) patterns.push(corePattern(x));
    else throw new TypeError('cors.origin must be "*", true, false, a string, a RegExp, an array of strings and RegExps, or a function (origin, callback)');
  }
  if (exact.length === 0 && patterns.length === 0) throw new TypeError('cors.origin: an empty array allows no origin; use false to turn CORS off');
  return { exact, patterns };
}

/** The cors package's isOriginAllowed: a string, a RegExp, an array of them, or truthy. */
function originAllowed(origin, allowed) {
  if (Array.isArray(allowed)) return allowed.some((a) => originAllowed(origin, a));
  if (typeof allowed === 'string') return origin === allowed;
  if (allowed instanceof RegExp) {
    allowed.lastIndex = 0;
    return typeof origin === 'string' && allowed.test(origin);
  }
  return !!allowed;
}

/**
 * Runs a cors.origin function for one request (the core's `cors_origin` round trip) and
 * calls `done(err, allowed)` once: the function's `callback(err, value)` as the cors
 * package reads it (an error refuses the request; a false value sends no CORS headers;
 * true or "*" allows the request's origin; a string, RegExp or array is matched against
 * it). A function that throws counts as an error.
 */
function decideOrigin(fn, origin, done) {
  let called = false;
  const once = (err, allowed) => {
    if (called) return;
    called = true;
    done(err, allowed);
  };
  try {
    fn(origin, (err, value) => {
      if (err) once(err, false);
      else if (!value) once(null, false);
      else if (value === true || value === '*') once(null, origin !== undefined);
      else once(null, originAllowed(origin, value));
    });
  } catch (err) {
    once(err, false);
  }
}

module.exports = { SOCKET_IO_OPTIONS, checkOptions, corsOptions, decideOrigin };
