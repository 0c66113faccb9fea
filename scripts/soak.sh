#!/usr/bin/env bash
# Soak test: mixed traffic against the release e2e server for SOAK_SECONDS (default 3600),
# sampling its RSS and open fds every SAMPLE_SECONDS (default 10); fails unless the server
# ends where it started (same fds ±2, RSS within 25 % + 8 MiB of the warmed-up level).
#   scripts/soak.sh                         # the hour
#   SOAK_SECONDS=30 SAMPLE_SECONDS=2 scripts/soak.sh   # the CI variant (scripts/test-hardening.sh)
# Samples go to target/soak/soak-<seconds>s.csv, the summary line to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK_SECONDS=${SOAK_SECONDS:-3600}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-10}
export SOAK_SECONDS SAMPLE_SECONDS
for dir in tests/node tests/hardening; do
  [ -f "$dir/node_modules/.package-lock.json" ] || npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
done
[ -x target/release/examples/e2e ] || cargo build --release --examples -p roomcast
mkdir -p target/soak
out=target/soak/soak-${SOAK_SECONDS}s.csv
# Stalled readers are dropped after 3 s without write progress (the default is 20 s).
PORT=0 WRITE_TIMEOUT=3000 target/release/examples/e2e > target/soak/server.out 2> target/soak/server.err &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' target/soak/server.out)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "the e2e server did not start"; cat target/soak/server.err; exit 1; }
(cd tests/hardening && node soak.mjs "http://127.0.0.1:$port" "$server") | tee "$out"
