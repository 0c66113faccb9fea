'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ioc, once } = require('./helpers');

/** Runs a fixture; resolves with {code, signal, out}; kills it after `limit` ms. */
function run(t, name, { limit = 20000, onLine } = {}) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', name)], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const timer = setTimeout(() => child.kill('SIGKILL'), limit);
  t.after(() => {
    clearTimeout(timer);
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    for (const line of String(d).split('\n').filter(Boolean)) if (onLine) onLine(line, child);
  });
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    }),
  );
}

test('the process exits by itself after io.close()', async (t) => {
  const r = await run(t, 'close-exits.js');
  assert.equal(r.signal, null, `killed: the process did not exit\n${r.out}`);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /closed/);
});

test('a listening server keeps the process alive after the script ends', async (t) => {
  let answered;
  const r = await run(t, 'stays-alive.js', {
    onLine: async (line, child) => {
      const c = ioc(`http://127.0.0.1:${line}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
      // The script has returned long before the client connects: only the server is left.
      answered = await c.emitWithAck('pid');
      c.disconnect();
      child.kill('SIGTERM');
    },
  });
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(typeof answered, 'number');
});

test('an exception in a handler is reported as an uncaught exception; the server keeps serving', async (t) => {
  const seen = {};
  const r = await run(t, 'handler-throws.js', {
    onLine: async (line) => {
      if (!/^\d+$/.test(line)) return;
      const c = ioc(`http://127.0.0.1:${line}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
      c.emit('boom');
      seen.pong = await c.emitWithAck('ping');
      c.emit('stop');
    },
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /uncaught: handler failed/);
  assert.equal(seen.pong, 'pong');
});

test('terminating a worker thread that runs a server stops it cleanly', async (t) => {
  const r = await run(t, 'worker.js');
  assert.equal(r.signal, null, `killed: the process did not exit\n${r.out}`);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /client: transport close/);
});
