#!/usr/bin/env bash
# Release artifact tests: builds dist/ (scripts/dist.sh), checks the sdist and the npm
# source-build fallback still build with Rust, then, with cargo, rustc and ~/.cargo/bin
# out of PATH (and HOME pointing at an empty folder, so nothing finds ~/.cargo):
#   - installs the wheel into a fresh venv and runs examples/python/chat.py against the
#     python-socketio client (bindings/python/tests/test_chat_example.py);
#   - installs the npm tarball into a fresh folder and runs examples/node/chat.js against
#     socket.io-client (bindings/node/test/chat.test.js);
#   - installs the C SDK with its install.sh into a fresh PREFIX, builds examples/c/chat.c
#     with CMake (find_package(roomcast CONFIG)) and with a pkg-config `cc` line, and runs
#     both against socket.io-client (tests/c/chat.test.mjs);
#   - checks roomcast.__version__, require('roomcast').version and roomcast_version() all
#     equal the workspace version.
# Prints the install times. Ends with a "N passed, N failed" line; non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
passed=0
failed=0
failures=()
TIMES=()

ok() { passed=$((passed + 1)); echo "ok   $1"; }
ko() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; }
# step NAME CMD...: runs CMD quietly, shows its output only on failure.
step() {
  local name=$1 log
  shift
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then ok "$name"; else ko "$name"; tail -n 60 "$log"; fi
  rm -f "$log"
}
# timed NAME CMD...: a step whose duration is reported as an install time.
timed() {
  local name=$1 t0
  t0=$(date +%s.%N)
  step "$@"
  TIMES+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$name" 'BEGIN { printf "%-44s %6.1f s", n, b - a }')")
}
START=$(date +%s)
finish() {
  echo "test-dist.sh took $(($(date +%s) - START)) s"
  if [ "${#TIMES[@]}" -gt 0 ]; then
    echo "install times (no Rust; 2 shared cores, expect noise):"
    printf '  %s\n' "${TIMES[@]}"
  fi
  echo "dist: $passed passed, $failed failed"
  for f in "${failures[@]+"${failures[@]}"}"; do echo "  failed: $f"; done
  [ "$failed" -eq 0 ]
  exit $?
}

# ---- tools and packages (with Rust and network) ---------------------------------------
missing=()
for tool in cmake pkg-config; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1 || true
fi
for dir in tests/node examples; do
  [ -d "$dir/node_modules/socket.io-client" ] || npm ci --prefix "$dir" --silent --no-audit --no-fund
done

# ---- build ----------------------------------------------------------------------------
echo "== scripts/dist.sh"
if ! bash scripts/dist.sh; then ko "scripts/dist.sh"; finish; fi
ok "scripts/dist.sh"
VERSION=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
DIST=$ROOT/dist
WHEEL=$(ls "$DIST"/roomcast-"$VERSION"-cp39-abi3-manylinux_*_x86_64.whl)
NPM_TGZ=$DIST/roomcast-$VERSION.tgz
SDK_TGZ=$DIST/roomcast-$VERSION-linux-x86_64.tar.gz
WORK=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-dist.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

step "wheel carries py.typed, the .pyi stubs and a stripped native module" bash -c '
  files=$(python3 -c "import sys, zipfile; print(\"\\n\".join(zipfile.ZipFile(sys.argv[1]).namelist()))" "$0")
  for f in roomcast/py.typed roomcast/_native.pyi roomcast/_native.abi3.so; do
    grep -qx "$f" <<<"$files" || { echo "missing $f"; exit 1; }
  done
  python3 -c "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(\"roomcast/_native.abi3.so\"))" "$0" > "$1/native.so"
  ! readelf -S "$1/native.so" | grep -q "\.debug_info" && readelf -S "$1/native.so" | grep -q "\.gnu_debuglink"' \
  "$WHEEL" "$WORK"
step "npm tarball: prebuilt linux-x64-gnu binary (stripped), sources for the fallback, no debug file" bash -c '
  files=$(tar tzf "$0")
  for f in package/roomcast.linux-x64-gnu.node package/scripts/install.js package/rust/Cargo.toml \
           package/rust/Cargo.lock package/rust/core/src/lib.rs package/rust/bindings/node/src/lib.rs; do
    grep -qx "$f" <<<"$files" || { echo "missing $f"; exit 1; }
  done
  ! grep -q "\.debug$" <<<"$files" || { echo "debug info in the package"; exit 1; }
  tar xzf "$0" -C "$1" package/roomcast.linux-x64-gnu.node
  ! readelf -S "$1/package/roomcast.linux-x64-gnu.node" | grep -q "\.debug_info"' "$NPM_TGZ" "$WORK"
step "split debug info kept beside the binaries in dist/" bash -c '
  for f in libroomcast.so.$0.debug _native.abi3.so.debug roomcast.linux-x64-gnu.node.debug; do
    readelf -S "dist/$f" | grep -q "\.debug_info" || { echo "no debug info in dist/$f"; exit 1; }
  done' "$VERSION"
step "C SDK: soname libroomcast.so.0, symlinks, only roomcast_* exported (nm -D)" bash -c '
  tar xzf "$0" -C "$1"
  lib=$1/roomcast-$2-linux-x86_64/lib
  readelf -d "$lib/libroomcast.so.$2" | grep -q "SONAME.*\[libroomcast\.so\.0\]" || { echo "soname"; exit 1; }
  [ "$(readlink "$lib/libroomcast.so.0")" = "libroomcast.so.$2" ] && [ "$(readlink "$lib/libroomcast.so")" = libroomcast.so.0 ] || exit 1
  nm -D --defined-only "$lib/libroomcast.so.$2" | awk "{print \$NF}" > "$1/exports"
  grep -q "^roomcast_version$" "$1/exports" || { echo "roomcast_version not exported"; exit 1; }
  ! grep -v "^roomcast_" "$1/exports" || { echo "^ exported but not roomcast_*"; exit 1; }' "$SDK_TGZ" "$WORK" "$VERSION"

# ---- from source, with Rust (reusing target/) -----------------------------------------
step "the sdist builds a wheel from source" \
  env CARGO_TARGET_DIR="$ROOT/target" "$ROOT/target/venv-dist/bin/pip" wheel --quiet --no-deps \
    --disable-pip-version-check -w "$WORK/sdist-wheel" "$DIST/roomcast-$VERSION.tar.gz"
mkdir -p "$WORK/node-src"
step "npm install --build-from-source builds the tarball's rust/ sources" bash -c '
  cd "$0" && npm init -y >/dev/null &&
  CARGO_TARGET_DIR="$1/target" npm install --no-audit --no-fund --loglevel=error --build-from-source "$2" &&
  [ -f node_modules/roomcast/roomcast.node ] &&
  node -e "const r = require(\"roomcast\"); if (r.version !== process.argv[1] || typeof r.Server !== \"function\") process.exit(1)" "$3"' \
  "$WORK/node-src" "$ROOT" "$NPM_TGZ" "$VERSION"

# ---- without Rust ---------------------------------------------------------------------
# PATH without any directory holding cargo or rustc; HOME an empty folder (no ~/.cargo);
# the npm and pip caches stay where they are (package downloads only).
NORUST_PATH=$(tr ':' '\n' <<<"$PATH" | while read -r d; do
  [ -n "$d" ] && [ "$d" != "$HOME/.cargo/bin" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && echo "$d"
done | paste -sd: -)
mkdir -p "$WORK/home"
norust() {
  env -u CARGO -u RUSTC -u CARGO_HOME -u RUSTUP_HOME -u RUSTUP_TOOLCHAIN -u CARGO_TARGET_DIR \
    PATH="$NORUST_PATH" HOME="$WORK/home" npm_config_cache="$(npm config get cache)" \
    PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}" PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"
}
step "no cargo, no rustc, no ~/.cargo in the test environment" \
  norust bash -c '! command -v cargo && ! command -v rustc && [ ! -e "$HOME/.cargo" ]'

# Python: the wheel in a fresh venv (binary only), then the client's packages.
step "python3 -m venv (fresh)" norust python3 -m venv "$WORK/venv"
timed "pip install <wheel> (no deps)" \
  norust "$WORK/venv/bin/pip" install --quiet --only-binary=:all: --no-deps "$WHEEL"
step "pip install python-socketio client (tests/python/requirements.txt)" \
  norust "$WORK/venv/bin/pip" install --quiet --only-binary=:all: -r tests/python/requirements.txt
step "roomcast.__version__ == $VERSION, imported from the venv" \
  norust "$WORK/venv/bin/python" -c '
import sys, roomcast
assert roomcast.__version__ == sys.argv[1], roomcast.__version__
assert roomcast.__file__.startswith(sys.argv[2]), roomcast.__file__
from importlib.metadata import version
assert version("roomcast") == sys.argv[1], version("roomcast")
import importlib.resources as r
assert (r.files("roomcast") / "py.typed").is_file()' "$VERSION" "$WORK/venv"
step "examples/python/chat.py (wheel) against python-socketio" \
  norust bash -c 'cd bindings/python && timeout 300 "$0/venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_chat_example.py' "$WORK"

# Node: the tarball in a fresh folder; the install must not build anything.
mkdir -p "$WORK/node-app"
(cd "$WORK/node-app" && npm init -y >/dev/null)
timed "npm install <tarball> (fresh folder)" \
  norust bash -c 'cd "$0" && npm install --no-audit --no-fund --loglevel=error "$1"' "$WORK/node-app" "$NPM_TGZ"
step "the prebuilt binary is used (no source build)" bash -c '
  [ -f "$0/node_modules/roomcast/roomcast.linux-x64-gnu.node" ] && [ ! -e "$0/node_modules/roomcast/roomcast.node" ]' \
  "$WORK/node-app"
step "require('roomcast').version == $VERSION (native and package.json agree)" \
  norust env NODE_PATH="$WORK/node-app/node_modules" node -e '
const r = require("roomcast"), v = process.argv[1];
const pkg = require(require.resolve("roomcast/package.json"));
if (r.version !== v || pkg.version !== v) { console.error(r.version, pkg.version); process.exit(1); }
if (!require.resolve("roomcast").startsWith(process.argv[2])) process.exit(1);' "$VERSION" "$WORK/node-app"
step "examples/node/chat.js (tarball) against socket.io-client" \
  norust env NODE_PATH="$WORK/node-app/node_modules" timeout 300 node --test --test-timeout=60000 bindings/node/test/chat.test.js
mkdir -p "$WORK/node-nomatch"
step "--build-from-source: the install goes to cargo (absent here) and says so" \
  norust bash -c 'cd "$0" && npm init -y >/dev/null &&
    ! npm install --no-audit --no-fund --build-from-source "$1" > log 2>&1 &&
    grep -q "building from source (--build-from-source)" log && grep -q "roomcast: cannot run cargo" log' \
  "$WORK/node-nomatch" "$NPM_TGZ"
# A package without this platform's binary (as on any platform not prebuilt): same fallback.
mkdir -p "$WORK/node-noprebuilt/pkg"
step "no prebuilt for the platform: the install goes to cargo (absent here) and says so" \
  norust bash -c 'cd "$0" && tar xzf "$1" -C pkg && rm pkg/package/roomcast.linux-x64-gnu.node &&
    tar czf other.tgz -C pkg package && npm init -y >/dev/null &&
    ! npm install --no-audit --no-fund ./other.tgz > log 2>&1 &&
    grep -q "no prebuilt binary for linux-x64-gnu; building from source" log && grep -q "roomcast: cannot run cargo" log' \
  "$WORK/node-noprebuilt" "$NPM_TGZ"

# C: install.sh into a fresh PREFIX, then CMake and pkg-config builds.
PREFIX=$WORK/prefix
timed "C SDK: unpack + install.sh PREFIX=…" \
  norust bash -c 'mkdir -p "$0/sdk" && tar xzf "$1" -C "$0/sdk" && PREFIX="$2" "$0"/sdk/*/install.sh' "$WORK" "$SDK_TGZ" "$PREFIX"
step "installed roomcast.pc and CMake config point into PREFIX" bash -c '
  [ "$(PKG_CONFIG_PATH=$0/lib/pkgconfig pkg-config --variable=libdir roomcast)" = "$0/lib" ] &&
  [ -L "$0/lib/libroomcast.so" ] && [ -f "$0/include/roomcast.h" ] &&
  [ "$(PKG_CONFIG_PATH=$0/lib/pkgconfig pkg-config --modversion roomcast)" = "$1" ]' "$PREFIX" "$VERSION"
step "install.sh honours DESTDIR (staged PREFIX=/usr)" \
  norust bash -c 'DESTDIR="$0/stage" PREFIX=/usr "$0"/sdk/*/install.sh &&
    [ -L "$0/stage/usr/lib/libroomcast.so.0" ] && [ -f "$0/stage/usr/include/roomcast.h" ] &&
    grep -qx "prefix=/usr" "$0/stage/usr/lib/pkgconfig/roomcast.pc" &&
    grep -q "set(_roomcast_includedir \"/usr/include\")" "$0/stage/usr/lib/cmake/roomcast/roomcastConfig.cmake"' "$WORK"
step "CMake project: find_package(roomcast CONFIG) -> roomcast::roomcast (+ _static)" \
  norust bash -c 'cmake -S tests/dist -B "$0/cmake" -DCMAKE_PREFIX_PATH="$1" -DROOMCAST_REPO="$2" &&
    cmake --build "$0/cmake"' "$WORK" "$PREFIX" "$ROOT"
step "CMake refuses an incompatible version (find_package(roomcast 9.0))" \
  norust bash -c 'mkdir -p "$0/cmake-v9" && printf "cmake_minimum_required(VERSION 3.16)\nproject(v C)\nfind_package(roomcast 9.0 CONFIG REQUIRED)\n" > "$0/cmake-v9/CMakeLists.txt" &&
    ! cmake -S "$0/cmake-v9" -B "$0/cmake-v9/build" -DCMAKE_PREFIX_PATH="$1"' "$WORK" "$PREFIX"
step "pkg-config cc line builds examples/c/chat.c and tests/dist/version.c" \
  norust bash -c 'export PKG_CONFIG_PATH=$1/lib/pkgconfig &&
    cc -std=c99 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L examples/c/chat.c $(pkg-config --cflags --libs roomcast) -o "$0/chat-pc" &&
    cc -std=c99 -Wall -Wextra -Werror tests/dist/version.c $(pkg-config --cflags --libs roomcast) -o "$0/version-pc" &&
    readelf -d "$0/chat-pc" | grep -q "NEEDED.*\[libroomcast\.so\.0\]"' "$WORK" "$PREFIX"
step "roomcast_version() == $VERSION (CMake shared, CMake static, pkg-config)" \
  norust bash -c 'for b in "$0/cmake/version" "$0/cmake/version_static" "$0/version-pc"; do
    v=$("$b") && [ "$v" = "$1" ] || { echo "$b: $v"; exit 1; }; done' "$WORK" "$VERSION"
step "examples/c/chat.c (CMake build) against socket.io-client" \
  norust env ROOMCAST_C_CHAT="$WORK/cmake/chat" timeout 300 node --test tests/c/chat.test.mjs
step "examples/c/chat.c (pkg-config build) against socket.io-client" \
  norust env ROOMCAST_C_CHAT="$WORK/chat-pc" timeout 300 node --test tests/c/chat.test.mjs
finish
