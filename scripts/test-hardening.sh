#!/usr/bin/env bash
# Resource bounds with real peers: tests/hardening (node --test) drive the release e2e
# server with the real socket.io-client, the ws library and raw TCP sockets (idle and
# trickling connections, endless bodies, stalled readers, floods, the heartbeat of a
# connection held back by backpressure), a 30-second soak
# (scripts/soak.sh), then a short fuzz smoke of every decoder (scripts/fuzz.sh,
# FUZZ_SECONDS each, 20 by default; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in tests/node tests/hardening; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done
[ -x target/release/examples/e2e ] || cargo build --release --examples -p roomcast
(cd tests/hardening && node --test --test-reporter=spec ./*.test.mjs)
SOAK_SECONDS=30 SAMPLE_SECONDS=2 bash scripts/soak.sh
if [ "${FUZZ_SECONDS:-20}" != 0 ]; then
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi
