#!/usr/bin/env bash
# Runs the roomcast chat example: http://localhost:3000 (or $PORT).
# Installs the browser bundle (socket.io-client from npm) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f examples/node_modules/socket.io-client/dist/socket.io.min.js ]; then
  npm ci --prefix examples --no-audit --no-fund --loglevel=error
fi
exec cargo run --release --example chat
