'use strict';
// How exceptions thrown by user handlers are reported.
//
// Like socket.io (where a throwing listener throws out of the socket's event emitter),
// an exception escaping a handler is re-thrown on the next tick, so Node reports it as an
// uncaught exception: the process prints it and exits unless a
// process.on('uncaughtException') handler is installed. The native side never sees it and
// the events after it are still delivered in order.

function report(err) {
  process.nextTick(() => {
    throw err;
  });
}

/** Calls fn(...args); reports (does not propagate) what it throws. */
function guarded(fn, self, args) {
  try {
    return fn.apply(self, args);
  } catch (err) {
    report(err);
    return undefined;
  }
}

function timeoutError() {
  return new Error('operation has timed out');
}

const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

module.exports = { report, guarded, timeoutError, RESERVED_EVENTS };
