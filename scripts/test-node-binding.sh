#!/usr/bin/env bash
# Node binding tests: installs bindings/node exactly as a user does (`npm install
# <repo>/bindings/node` in a fresh temp folder; its install script builds the native module
# with cargo, reusing the workspace target/ dir), checks `require('roomcast')` there, then
# runs bindings/node/test/*.test.js against that installed package with the real
# socket.io-client (tests/node's packages). Quiet, idempotent, bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

for dir in tests/node examples; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done

APP=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-node-app.XXXXXX")
trap 'rm -rf "$APP"' EXIT
echo "== npm install $ROOT/bindings/node (in a fresh folder)"
(
  cd "$APP"
  npm init -y >/dev/null
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}" timeout 1500 npm install --no-audit --no-fund --loglevel=error "$ROOT/bindings/node"
  node -e "const { Server } = require('roomcast'); if (typeof Server !== 'function') process.exit(1)"
)

echo "== node --test bindings/node/test"
cd bindings/node
NODE_PATH="$APP/node_modules" exec timeout 600 node --test --test-timeout=60000 test/*.test.js
