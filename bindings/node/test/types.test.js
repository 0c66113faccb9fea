'use strict';
// index.d.ts carries socket.io's type parameters: test/types/typed-chat.ts (socket.io's
// typed-server example with roomcast's import, plus @ts-expect-error lines that must fail)
// compiles with the real TypeScript compiler (tests/node's `typescript`) under --strict.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { repo } = require('./helpers');

test('tsc --noEmit: Server<ClientToServer, ServerToClient, InterServer, SocketData> and Socket<...> type-check', () => {
  const tsc = path.join(repo, 'tests', 'node', 'node_modules', 'typescript', 'bin', 'tsc');
  const project = path.join(__dirname, 'types', 'tsconfig.json');
  let out = '';
  try {
    out = execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    assert.fail(`tsc failed:\n${err.stdout}${err.stderr}`);
  }
  assert.equal(out.trim(), '');
});
