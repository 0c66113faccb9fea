'use strict';
// Builds the native module from source with cargo and copies the cdylib to roomcast.node
// beside index.js (run by scripts/install.js when no prebuilt binary fits). No download, no
// @napi-rs/cli (npm may install none of this package's dependencies when it links a local
// folder). In a checkout it builds the workspace member bindings/node; in a packed tarball
// (scripts/dist.sh) it builds the self-contained copy of the sources under rust/.
//
// Environment: CARGO (cargo binary), CARGO_TARGET_DIR (shared target dir, as cargo reads
// it), ROOMCAST_NODE_PROFILE=debug for a faster, unoptimized build.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const pkgDir = path.join(__dirname, '..');
const packed = path.join(pkgDir, 'rust', 'bindings', 'node', 'Cargo.toml');
const manifest = fs.existsSync(packed) ? packed : path.join(pkgDir, 'Cargo.toml');
const out = path.join(pkgDir, 'roomcast.node');

function cargoBinary() {
  if (process.env.CARGO) return process.env.CARGO;
  const home = path.join(os.homedir(), '.cargo', 'bin', 'cargo');
  return fs.existsSync(home) ? home : 'cargo';
}

const args = ['build', '-p', 'roomcast-node', '--manifest-path', manifest, '--message-format=json-render-diagnostics'];
if (process.env.ROOMCAST_NODE_PROFILE !== 'debug') args.push('--release');

const res = spawnSync(cargoBinary(), args, { cwd: pkgDir, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 1024 * 1024 });
if (res.error) {
  console.error(`roomcast: cannot run cargo (${res.error.message}); install Rust from https://rustup.rs`);
  process.exit(1);
}
if (res.status !== 0) {
  console.error(`roomcast: cargo build failed (exit ${res.status})`);
  process.exit(res.status || 1);
}

let lib = null;
for (const line of res.stdout.toString().split('\n')) {
  if (!line.startsWith('{')) continue;
  const msg = JSON.parse(line);
  if (msg.reason === 'compiler-artifact' && msg.target && msg.target.name === 'roomcast_node') {
    lib = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || lib;
  }
}
if (!lib) {
  console.error('roomcast: cargo did not report the roomcast_node library');
  process.exit(1);
}
// Copy then rename: a process that has the old module loaded keeps its mapping.
const tmp = `${out}.${process.pid}.tmp`;
fs.copyFileSync(lib, tmp);
fs.renameSync(tmp, out);
