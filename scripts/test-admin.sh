#!/usr/bin/env bash
# Admin UI tests (issue #14, @socket.io/admin-ui): the Rust and C chat programs with the
# admin UI turned on by configuration, driven by the real socket.io-client exactly as the
# dashboard drives its namespace (tests/node/admin/; two of them over Redis too), and the dashboard's real static build
# (npm @socket.io/admin-ui, ui/dist) in headless Chromium (tests/browser/admin-ui/). The
# Node and Python bindings' instrument() are tested by their own suites
# (bindings/node/test/admin.test.js, bindings/python/tests/test_admin.py). Builds the chat
# examples when missing; installs Debian's chromium only when /usr/bin/chromium is absent.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

FAILED=0
step() {
  local name=$1; shift
  echo "-- $name"
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; FAILED=$((FAILED + 1)); fi
}

npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    timeout 300 npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}
npm_install tests/node
npm_install tests/browser
# tests/node/admin/cluster.test.mjs runs two nodes over a real redis-server.
if ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  timeout 300 $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq redis-server >/dev/null
fi

timeout 1200 cargo build --release --example chat -p roomcast --quiet
if [ ! -x target/c/chat ] || [ examples/c/chat.c -nt target/c/chat ] || [ include/roomcast.h -nt target/c/chat ] \
  || [ target/release/libroomcast.so -nt target/c/chat ] || ! nm -D target/release/libroomcast.so | grep -q roomcast_config_set_admin_ui; then
  timeout 1200 cargo build --release -p roomcast-ffi --quiet
  mkdir -p target/c
  cc -std=c99 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -pthread -g -Iinclude \
    examples/c/chat.c -L"$ROOT/target/release" -lroomcast -Wl,-rpath,"$ROOT/target/release" -o target/c/chat
fi

step "admin UI: Rust and C chats driven as the dashboard does (socket.io-client)" \
  bash -c 'cd tests/node && timeout 600 node --test --test-reporter=spec admin/*.test.mjs'

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] && [ "$CHROMIUM" = /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  timeout 300 $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM
step "admin UI: the dashboard's static build in headless Chromium lists a socket" \
  bash -c 'cd tests/browser && timeout 300 node --test --test-reporter=spec --test-timeout=240000 admin-ui/*.test.mjs'

echo "test-admin: $FAILED failed"
[ "$FAILED" -eq 0 ]
