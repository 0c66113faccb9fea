'use strict';
// Logs: roomcast's records (core's `tracing` events) for Node.
//
//   roomcast.setLogger((r) => console.log(r.level, r.target, r.message, r.fields));
//   roomcast.setLogFilter('debug');   // or ROOMCAST_LOG=debug / RUST_LOG=debug
//
// Off by default: the filter (RUST_LOG syntax) is setLogFilter's, else ROOMCAST_LOG, else
// RUST_LOG, else off. `DEBUG=roomcast:*` (the `debug` module's syntax: comma- or
// space-separated names, `*` wildcards, `-name` excludes) prints the records to stderr as
// `debug` does, namespaced by origin (`roomcast:socket`, `roomcast:engine`,
// `roomcast:server`, `roomcast:adapter:redis:...`), at level debug unless ROOMCAST_LOG or
// RUST_LOG says otherwise. setLogger replaces that printer; setLogger(null) stops.
// Records arrive on the JavaScript thread, shortly after what caused them.

const native = require('./native');

/** The `debug` namespace of a record's target: `roomcast::socket` → `roomcast:socket`. */
function namespaceOf(target) {
  return target.split('::').join(':');
}

function patternRegex(p) {
  return new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?')}$`);
}

/** Whether `name` is enabled by a DEBUG value (the `debug` module's rules). */
function debugEnabled(name, spec) {
  let on = false;
  for (const p of String(spec || '').split(/[\s,]+/).filter(Boolean)) {
    if (p[0] === '-') {
      if (patternRegex(p.slice(1)).test(name)) return false;
    } else if (patternRegex(p).test(name)) {
      on = true;
    }
  }
  return on;
}

/** Whether a DEBUG value can enable any roomcast namespace. */
function debugWantsRoomcast(spec) {
  return String(spec || '')
    .split(/[\s,]+/)
    .some((p) => p && p[0] !== '-' && (p === '*' || p.startsWith('roomcast')));
}

/** The message followed by the fields as key=value. */
function text(record) {
  let s = record.message;
  for (const [k, v] of Object.entries(record.fields)) {
    s += /^$|[\s"=]/.test(v) ? ` ${k}=${JSON.stringify(v)}` : ` ${k}=${v}`;
  }
  return s;
}

/** The DEBUG printer: `<ISO time> roomcast:<origin> <level> <message> key=value...`. */
function debugPrinter(spec) {
  return (record) => {
    const ns = namespaceOf(record.target);
    if (!debugEnabled(ns, spec)) return;
    process.stderr.write(`${new Date().toISOString()} ${ns} ${record.level} ${text(record)}\n`);
  };
}

let warned = false;

/**
 * Sends every record that passes the filter to `fn({ level, target, message, fields })`
 * (`level` is 'error', 'warn', 'info', 'debug' or 'trace'; `fields` holds the stable
 * `sid`, `nsp`, `transport`, `reason` and others as strings); `null` stops. Process-wide:
 * the last call wins. An exception thrown by `fn` is reported once as a warning.
 */
function setLogger(fn) {
  if (fn !== null && typeof fn !== 'function') {
    throw new TypeError('setLogger: expected a function or null');
  }
  native.setLogger(
    fn &&
      ((record) => {
        try {
          fn(record);
        } catch (e) {
          if (!warned) {
            warned = true;
            process.emitWarning(`roomcast: the logger threw: ${e && e.stack ? e.stack : e}`);
          }
        }
      }),
  );
}

/**
 * Sets the filter, in RUST_LOG syntax ('debug', 'info', 'roomcast::socket=debug,warn',
 * 'off'); `null` goes back to ROOMCAST_LOG, else RUST_LOG, else off. A malformed filter
 * throws (code ERR_INVALID_ARGUMENT) and the current one stays.
 */
function setLogFilter(filter) {
  native.setLogFilter(filter == null ? null : String(filter));
}

if (debugWantsRoomcast(process.env.DEBUG)) {
  native.setLogger(debugPrinter(process.env.DEBUG));
  if (!process.env.ROOMCAST_LOG && !process.env.RUST_LOG) native.setLogFilter('debug');
}

module.exports = { setLogger, setLogFilter, debugEnabled, text };
