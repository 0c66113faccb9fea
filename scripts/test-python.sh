#!/usr/bin/env bash
# Python binding tests: builds bindings/python from source into a venv (target/venv-py,
# gitignored) with `pip install ./bindings/python` (maturin comes from PyPI through build
# isolation; the Rust build reuses the workspace target/ dir), then runs its pytest suite
# against the real python-socketio client. Quiet, idempotent, bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ROOMCAST_PY_VENV:-$PWD/target/venv-py}
PIP=("$VENV/bin/pip" --quiet --disable-pip-version-check)

if [ ! -x "$VENV/bin/python" ]; then
  echo "== python venv $VENV"
  python3 -m venv "$VENV"
fi
# The marker holds the list installed, so adding a package reinstalls (msgpack: the
# python-socketio msgpack serializer; fastapi, uvicorn, websockets, httpx: the ASGI tests).
DEPS='pytest pytest-timeout python-socketio[client] aiohttp websocket-client msgpack fastapi uvicorn websockets httpx'
if [ "$(cat "$VENV/.test-deps" 2>/dev/null)" != "$DEPS" ]; then
  # shellcheck disable=SC2086 # one word per package
  "${PIP[@]}" install $DEPS
  echo "$DEPS" > "$VENV/.test-deps"
fi
# test_recovery.py drives the server with the real socket.io-client (tests/node's packages).
if [ ! -f tests/node/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
fi
# test_cluster.py runs a mixed cluster: a redis-server and a Node socket.io node with
# @socket.io/redis-adapter (tests/cluster's pinned packages) beside the Python node.
if [ ! -f tests/cluster/node_modules/.package-lock.json ] || [ tests/cluster/package-lock.json -nt tests/cluster/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/cluster --no-audit --no-fund --loglevel=error
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "== apt-get install redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
fi
export ROOMCAST_CLUSTER_TESTS=1
echo "== pip install ./bindings/python"
"${PIP[@]}" install --force-reinstall --no-deps ./bindings/python

echo "== pytest bindings/python/tests"
cd bindings/python
# Run against the installed package (not the source tree), each test bounded.
exec timeout 900 "$VENV/bin/python" -m pytest -q -p no:cacheprovider --timeout 120 tests
