#!/usr/bin/env bash
# Operations tests (issue #14): roomcast behind Debian's nginx with the README's
# configuration (examples/nginx/roomcast.conf), and TLS with throwaway certificates made by
# openssl at test time (Rust and C chat examples; the Python and Node bindings have their
# own TLS tests in their suites), Prometheus metrics (tests/node/ops/metrics.test.mjs) and
# the roomcast-server program (tests/node/ops/cli.test.mjs, built here in release). Uses the release examples scripts/test.sh builds (builds
# the chat when missing, and the C chat, target/c/chat, when scripts/test-c.sh has not).
# Installs nginx and openssl where missing (apt; nginx is run in the foreground from a temp
# dir, never as a system service).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

FAILED=0
step() {
  local name=$1; shift
  echo "-- $name"
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; FAILED=$((FAILED + 1)); fi
}

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || apt_install nginx
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
export NGINX
command -v openssl >/dev/null || apt_install openssl
if [ ! -f tests/node/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
fi
if [ ! -x target/release/examples/chat ]; then
  cargo build --release --example chat -p roomcast
fi
# The program under test is always rebuilt (incremental: seconds when nothing changed).
cargo build --release --quiet -p roomcast-server
if [ ! -x target/c/chat ] || [ examples/c/chat.c -nt target/c/chat ] || [ include/roomcast.h -nt target/c/chat ] \
  || [ target/release/libroomcast.so -nt target/c/chat ]; then
  cargo build --release -p roomcast-ffi
  mkdir -p target/c
  cc -std=c99 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -pthread -g -Iinclude \
    examples/c/chat.c -L"$ROOT/target/release" -lroomcast -Wl,-rpath,"$ROOT/target/release" -o target/c/chat
fi

step "nginx: README config, prefix, both transports, upgrade, two nodes with ip_hash" \
  bash -c 'cd tests/node && node --test --test-reporter=spec ops/nginx.test.mjs'
step "TLS: https/wss chat, CA checks, SIGHUP reload (Rust and C)" \
  bash -c 'cd tests/node && node --test --test-reporter=spec ops/tls.test.mjs'
step "metrics: /metrics scrape and the snapshot call with real clients (Rust and C)" \
  bash -c 'cd tests/node && node --test --test-reporter=spec ops/metrics.test.mjs'
step "roomcast-server: static folder, flags and env, relay, metrics, SIGHUP TLS, SIGTERM drain" \
  bash -c 'cd tests/node && node --test --test-reporter=spec ops/cli.test.mjs'

echo "test-ops: $FAILED failed"
[ "$FAILED" -eq 0 ]
