#!/usr/bin/env bash
# Operations tests (issue #14): roomcast behind Debian's nginx with the README's
# configuration (examples/nginx/roomcast.conf). Uses the release chat example that
# scripts/test.sh builds (builds it when missing). Installs nginx where missing (apt; nginx
# is run in the foreground from a temp dir, never as a system service).
set -uo pipefail
cd "$(dirname "$0")/.."

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
if [ ! -f tests/node/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
fi
if [ ! -x target/release/examples/chat ]; then
  cargo build --release --example chat -p roomcast
fi

step "nginx: README config, prefix, both transports, upgrade, two nodes with ip_hash" \
  bash -c 'cd tests/node && node --test --test-reporter=spec ops/nginx.test.mjs'

echo "test-ops: $FAILED failed"
[ "$FAILED" -eq 0 ]
