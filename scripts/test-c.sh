#!/usr/bin/env bash
# C ABI tests: builds libroomcast (release), checks include/roomcast.h is what cbindgen
# generates, compiles the C test programs, the C++ smoke test and examples/c/chat.c with
# strict flags, runs them directly and under valgrind (leaks and invalid accesses fail),
# and drives the servers with the real socket.io-client (tests/node's packages).
# tests/c/cluster.test.mjs runs the C node in a mixed Redis cluster beside a Node socket.io
# node (installs redis-server with apt-get and tests/cluster's npm packages when missing).
# Installs what it needs (cbindgen pinned, npm packages), idempotent and quiet.
# Ends with a "N passed, N failed" line; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/c
LIB=$ROOT/target/release
CBINDGEN_VERSION=0.29.4
export PATH="$HOME/.cargo/bin:$PATH"
passed=0
failed=0
failures=()

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
finish() {
  echo "C ABI: $passed passed, $failed failed"
  for f in "${failures[@]}"; do echo "  failed: $f"; done
  [ "$failed" -eq 0 ]
  exit $?
}

# ---- tools and packages -------------------------------------------------------------
if ! cbindgen --version 2>/dev/null | grep -q " $CBINDGEN_VERSION$"; then
  echo "== cargo install cbindgen $CBINDGEN_VERSION"
  cargo install cbindgen --locked --quiet --version "$CBINDGEN_VERSION" || { ko "install cbindgen"; finish; }
fi
if ! command -v valgrind >/dev/null; then
  echo "== apt-get install valgrind"
  { apt-get update -qq && apt-get install -y -qq valgrind; } >/dev/null 2>&1 || true
fi
[ -d tests/node/node_modules/socket.io-client ] || npm ci --prefix tests/node --silent --no-audit --no-fund
[ -d examples/node_modules/socket.io-client ] || npm ci --prefix examples --silent --no-audit --no-fund
# The cluster test (tests/c/cluster.test.mjs) runs beside a Node socket.io node with
# @socket.io/redis-adapter (tests/cluster's packages) on a redis-server it starts.
[ -f tests/cluster/node_modules/.package-lock.json ] && [ ! tests/cluster/package-lock.json -nt tests/cluster/node_modules/.package-lock.json ] ||
  npm ci --prefix tests/cluster --silent --no-audit --no-fund
if ! command -v redis-server >/dev/null; then
  echo "== apt-get install redis-server"
  { apt-get install -y -qq redis-server || { apt-get update -qq && apt-get install -y -qq redis-server; }; } >/dev/null 2>&1 || true
fi

# ---- library and header -------------------------------------------------------------
echo "== cargo build --release -p roomcast-ffi"
step "build libroomcast" cargo build --release --quiet -p roomcast-ffi
[ -f "$LIB/libroomcast.so" ] && [ -f "$LIB/libroomcast.a" ] || { ko "libroomcast.so and .a exist"; finish; }
step "include/roomcast.h matches cbindgen (--verify)" \
  cbindgen --quiet --config ffi/cbindgen.toml --crate roomcast-ffi --output include/roomcast.h --verify ffi

# ---- compile ------------------------------------------------------------------------
mkdir -p "$OUT"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -pthread -g -Iinclude)
LDFLAGS=(-L"$LIB" -lroomcast -Wl,-rpath,"$LIB")
for t in server_test pull_test misuse_test config_test cluster_test log_test carry_test rooms_test; do
  step "cc -std=c99 tests/c/$t.c" cc "${CFLAGS[@]}" "tests/c/$t.c" "${LDFLAGS[@]}" -o "$OUT/$t"
done
step "cc -std=c99 examples/c/chat.c" cc "${CFLAGS[@]}" examples/c/chat.c "${LDFLAGS[@]}" -o "$OUT/chat"
step "g++ -std=c++17 tests/c/cpp_smoke.cpp" \
  g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/cpp_smoke.cpp "${LDFLAGS[@]}" -o "$OUT/cpp_smoke"
step "header alone compiles as C99 and C++ (no GNU extensions)" bash -c '
  printf "#include \"roomcast.h\"\nint main(void){return 0;}\n" > "$0/hdr.c"
  cc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c "$0/hdr.c" -o "$0/hdr.o" &&
  g++ -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude -c "$0/hdr.c" -o "$0/hdr.o"' "$OUT"
sed -e "s|@PREFIX@|$ROOT|" -e "s|@LIBDIR@|$LIB|" -e "s|@VERSION@|$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)|" \
  ffi/roomcast.pc.in > "$OUT/roomcast.pc"
step "pkg-config roomcast links a program" bash -c '
  cc -std=c99 -D_POSIX_C_SOURCE=200809L -pthread tests/c/misuse_test.c \
     $(PKG_CONFIG_PATH="$0" pkg-config --cflags --libs roomcast) -o "$0/misuse_pc" && "$0/misuse_pc"' "$OUT"
step "static libroomcast.a links a program" \
  cc "${CFLAGS[@]}" tests/c/misuse_test.c "$LIB/libroomcast.a" -lpthread -ldl -lm -o "$OUT/misuse_static"

# ---- run ----------------------------------------------------------------------------
VALGRIND=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99
  --suppressions=tests/c/valgrind.supp)
step "misuse_test" timeout 120 "$OUT/misuse_test"
step "carry_test" timeout 120 "$OUT/carry_test"
step "valgrind carry_test" timeout 600 "${VALGRIND[@]}" "$OUT/carry_test"
step "cpp_smoke" timeout 120 "$OUT/cpp_smoke"
step "misuse_test (static)" timeout 120 "$OUT/misuse_static"
step "valgrind misuse_test" timeout 600 "${VALGRIND[@]}" "$OUT/misuse_test"
step "valgrind cpp_smoke" timeout 600 "${VALGRIND[@]}" "$OUT/cpp_smoke"

# node --test over the drivers; each node test counts as one.
run_node() {
  local label=$1 log p f
  log=$(mktemp)
  ROOMCAST_VALGRIND=$2 timeout 900 node --test --test-concurrency=1 tests/c/*.test.mjs >"$log" 2>&1
  p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0}))
  if [ -z "$p" ] || [ "${f:-1}" != 0 ]; then
    failed=$((failed + ${f:-1}))
    failures+=("$label: node tests (${f:-?} failed)")
    grep -E "^not ok|error:|FAIL|==[0-9]+==" "$log" | head -n 80
  fi
  echo "$label: ${p:-0} node tests passed, ${f:-?} failed"
  rm -f "$log"
}
if command -v node >/dev/null; then
  run_node "socket.io-client vs C" 0
  if command -v valgrind >/dev/null; then run_node "socket.io-client vs C under valgrind" 1; else ko "valgrind available"; fi
else
  ko "node available"
fi
finish
