#!/usr/bin/env bash
# Mixed-cluster tests (tests/cluster): roomcast nodes and real Node socket.io nodes
# (@socket.io/redis-adapter 8.3, pinned in tests/cluster/package-lock.json) on a real
# redis-server that each test file starts on a free port, with real socket.io-clients;
# plus the Redis outage test (OUTAGE_SECONDS, default 30). Installs redis-server with
# apt-get when missing. Idempotent; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "== apt-get install redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
fi

if [ ! -f tests/cluster/node_modules/.package-lock.json ] || [ tests/cluster/package-lock.json -nt tests/cluster/node_modules/.package-lock.json ]; then
  echo "== npm ci --prefix tests/cluster"
  npm ci --prefix tests/cluster --no-audit --no-fund --loglevel=error
fi

# Incremental when scripts/test.sh already built the examples.
cargo build --release --quiet -p roomcast --example cluster

cd tests/cluster
node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
