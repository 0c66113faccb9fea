#!/usr/bin/env bash
# Mixed-cluster tests (tests/cluster): roomcast nodes and real Node socket.io nodes
# (@socket.io/redis-adapter 8.3, pinned in tests/cluster/package-lock.json) on a real
# redis-server that each test file starts on a free port, with real socket.io-clients;
# plus the Redis outage test (OUTAGE_SECONDS, default 30) and the C, Python and Node
# bindings joining a cluster (bindings.test.mjs); the streams adapter
# (@socket.io/redis-streams-adapter 0.3.1, streams*.test.mjs: recovery across nodes, after
# SIGKILL, a STREAMS_OUTAGE_SECONDS (10) outage, each binding). Installs redis-server with
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

# The bindings' cluster nodes (tests/cluster/bindings.test.mjs): the C chat, the Node
# binding (built in place, as `npm install` would), the Python binding (the venv of
# scripts/test-python.sh, installed here when missing).
cargo build --release --quiet -p roomcast-ffi
mkdir -p target/c
cc -std=c99 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -pthread -Iinclude examples/c/chat.c \
  -Ltarget/release -lroomcast -Wl,-rpath,"$PWD/target/release" -o target/c/chat-cluster
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" node bindings/node/scripts/build-native.js >/dev/null
VENV=${ROOMCAST_PY_VENV:-$PWD/target/venv-py}
if ! "$VENV/bin/python" -c "import roomcast; roomcast.RedisManager" >/dev/null 2>&1; then
  echo "== pip install ./bindings/python (into $VENV)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
fi
export ROOMCAST_PY="$VENV/bin/python"

cd tests/cluster
node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
