#!/usr/bin/env bash
# The chat page in a real headless Chromium against the Rust chat example
# (tests/browser/chat.test.mjs), and a page served by express with roomcast's Node Server
# attached (tests/browser/express-session.test.mjs). Installs what is missing: Debian's chromium (apt, only when
# /usr/bin/chromium is absent), playwright-core (npm ci in tests/browser; it never downloads
# a browser), the socket.io-client bundle (npm ci in examples) and express (npm ci in
# tests/node), and builds the chat example and the Node binding in bindings/node (no-ops
# when scripts/test.sh already built the examples and scripts/test-node-binding.sh the binding). Leaves a screenshot in
# target/chat.png. Set CHROMIUM=/path/to/chrome to use another Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  if [ "$CHROMIUM" != /usr/bin/chromium ]; then
    echo "CHROMIUM=$CHROMIUM is not executable" >&2
    exit 1
  fi
  echo "== apt-get install chromium"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  timeout 300 $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM

# npm ci only when node_modules is missing or older than the lock file.
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "== npm ci --prefix $dir"
    timeout 300 npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}
npm_install tests/browser
npm_install examples
npm_install tests/node

timeout 1200 cargo build --release --example chat -p roomcast --quiet
(cd bindings/node && timeout 1500 node scripts/build-native.js >/dev/null)

cd tests/browser
# Each wait in the test has its own deadline; this bounds the whole run.
timeout 300 node --test --test-reporter=spec --test-timeout=240000 ./*.test.mjs
