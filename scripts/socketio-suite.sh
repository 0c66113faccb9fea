#!/usr/bin/env bash
# Runs socket.io's own server test suite (packages/socket.io/test of socketio/socket.io)
# against the roomcast Node binding and prints, per test file, how many tests pass.
#
#   scripts/socketio-suite.sh <socket.io git dir or checkout> [test file name ...]
#
# e.g. scripts/socketio-suite.sh /work/.mirror/socketio+socket.io/repo socket namespaces
#
# Nothing of socket.io is kept in this repository: the test folder is exported from the
# given repository (its HEAD) into a temp dir. Beside it go our own files from
# tests/socketio-suite/: package.json (+ lock: mocha, tsx, expect.js, socket.io-client,
# socket.io-client-v2, supertest, ... pinned; installed once into tests/socketio-suite/
# node_modules) and index.js, so the tests' `import { Server } from ".."` (and the
# fixture's `require("../..")`) load roomcast, installed from bindings/node into a fresh
# folder as scripts/test-node-binding.sh does. package.json's "version" is set to
# roomcast's (the suite expects the served client's ETag to be the server's version).
#
# Each test file runs in its own mocha process (socket.io's options: tsx, 10 s timeout,
# no --bail; plus --exit, as a test that fails may leave a server open): a dry run lists
# its tests (the total), then the real run reports each result (tests/socketio-suite/
# reporter.js). A file that cannot load (uws.ts needs uWebSockets.js, which is not on the
# npm registry) counts its `it(` calls as its total, none run. Results, logs and the table
# stay in $SUITE_OUT (default: a new temp dir, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SRC=${1:?usage: scripts/socketio-suite.sh <socket.io git dir or checkout> [test file name ...]}
shift
SUITE=$ROOT/tests/socketio-suite

if [ -f "$SRC/HEAD" ] && [ -d "$SRC/objects" ]; then
  GIT=(git --git-dir="$SRC")
elif [ -e "$SRC/.git" ]; then
  GIT=(git -C "$SRC")
else
  GIT=()
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-sio-suite.XXXXXX")
APP=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-sio-app.XXXXXX")
trap 'rm -rf "$WORK" "$APP"' EXIT
OUT=${SUITE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/roomcast-sio-results.XXXXXX")}
mkdir -p "$OUT"
rm -f "$OUT"/*.list "$OUT"/*.run "$OUT"/*.note "$OUT"/*.log

if [ ${#GIT[@]} -gt 0 ]; then
  COMMIT=$("${GIT[@]}" rev-parse HEAD)
  # File by file, not `git archive`: a mirror may lack the blobs of big files (the fixtures
  # big.json and big.jpg); those are named and left out, and the tests reading them fail.
  while IFS=$'\t' read -r meta file; do
    blob=${meta##* }
    dest=$WORK/${file#packages/socket.io/}
    mkdir -p "$(dirname "$dest")"
    if ! "${GIT[@]}" cat-file blob "$blob" >"$dest" 2>/dev/null; then
      rm -f "$dest"
      echo "missing from $SRC (not exported): $file"
    fi
  done < <("${GIT[@]}" ls-tree -r HEAD packages/socket.io/test)
else
  COMMIT="(not a git repository: $SRC)"
  cp -r "$SRC/packages/socket.io/test" "$WORK/test"
fi
[ -d "$WORK/test" ] || { echo "no packages/socket.io/test in $SRC" >&2; exit 1; }

if [ ! -f "$SUITE/node_modules/.package-lock.json" ] || [ "$SUITE/package-lock.json" -nt "$SUITE/node_modules/.package-lock.json" ]; then
  echo "== npm ci tests/socketio-suite"
  npm ci --prefix "$SUITE" --no-audit --no-fund --loglevel=error
fi
echo "== npm install $ROOT/bindings/node (in a fresh folder)"
(
  cd "$APP"
  npm init -y >/dev/null
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}" timeout 1500 npm install --no-audit --no-fund --loglevel=error "$ROOT/bindings/node"
)
VERSION=$(node -p "require('$APP/node_modules/roomcast/package.json').version")

cp "$SUITE/index.js" "$SUITE/reporter.js" "$WORK/"
node -e '
  const p = require(process.argv[1]);
  p.version = process.argv[2];
  require("fs").writeFileSync(process.argv[3], JSON.stringify(p, null, 2));
' "$SUITE/package.json" "$VERSION" "$WORK/package.json"
ln -s "$SUITE/node_modules" "$WORK/node_modules"

if [ $# -gt 0 ]; then
  FILES=("$@")
else
  FILES=()
  for f in "$WORK"/test/*.ts; do
    name=$(basename "$f" .ts)
    # index.ts only requires the others; socket.io.test-d.ts is a tsd type test, not mocha.
    case "$name" in index | *.test-d) continue ;; esac
    FILES+=("$name")
  done
fi

cd "$WORK"
export NODE_PATH="$APP/node_modules"
MOCHA=(node "$WORK/node_modules/mocha/bin/mocha.js" --import=tsx --reporter "$WORK/reporter.js")
for name in "${FILES[@]}"; do
  file=test/${name%.ts}.ts
  name=$(basename "$file" .ts)
  echo "== $name"
  if ! SUITE_RESULTS="$OUT/$name.list" timeout 120 "${MOCHA[@]}" --dry-run "$file" >"$OUT/$name.log" 2>&1; then
    err=$(grep -m1 -E 'Error|Cannot find' "$OUT/$name.log" || echo 'dry run failed')
    echo "does not load: $err" >"$OUT/$name.note"
    : >"$OUT/$name.list"
    for _ in $(seq "$(grep -cE '^\s*it\(' "$file" || true)"); do echo '{"state":"listed"}' >>"$OUT/$name.list"; done
    echo "   $(cat "$OUT/$name.note")"
    continue
  fi
  SUITE_RESULTS="$OUT/$name.run" timeout 900 "${MOCHA[@]}" --timeout 10000 --slow 200 --exit "$file" >>"$OUT/$name.log" 2>&1 || true
  grep -c '"state":"passed"' "$OUT/$name.run" 2>/dev/null | sed 's/^/   passed: /' || true
done

node "$SUITE/summarize.js" "$OUT" "$COMMIT" "$(date -u '+%Y-%m-%d %H:%M UTC')" | tee "$OUT/table.md"
echo "(results and logs: $OUT)"
