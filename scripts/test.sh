#!/usr/bin/env bash
# Runs every roomcast test on a fresh machine: installs what is missing (npm packages, a
# Python venv in .venv-tests), checks `cargo fmt` and clippy (-D warnings), runs the Rust
# tests, builds the examples once (release), runs the Node and Python end-to-end tests, then each area's script when present
# (scripts/test-c.sh, scripts/test-python.sh, scripts/test-node-binding.sh, scripts/test-browser.sh,
# scripts/test-dist.sh: the release artifacts, installed without Rust; scripts/test-cluster.sh:
# mixed Redis clusters with Node socket.io nodes; scripts/test-hardening.sh; scripts/test-ops.sh:
# roomcast behind nginx, TLS; scripts/test-admin.sh: the Socket.IO admin UI).
# Every step runs even when an earlier one failed; the summary at the end says which failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# npm ci only when node_modules is missing or older than the lock file.
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "== npm ci --prefix $dir"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

# The venv for the Python end-to-end check (the real python-socketio client).
python_venv() {
  local venv=$ROOT/.venv-tests
  if [ ! -x "$venv/bin/python" ]; then
    echo "== python venv $venv"
    python3 -m venv "$venv"
  fi
  # Pinned (tests/python/requirements.txt is the lock file of the test venv).
  if [ ! -f "$venv/.installed" ] || [ tests/python/requirements.txt -nt "$venv/.installed" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    touch "$venv/.installed"
  fi
}

# The gates need rustfmt and clippy (rustup installs them when missing).
if command -v rustup >/dev/null; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
npm_install tests/node
npm_install examples
python_venv

SETUP_S=$SECONDS
FAILED=()
PASSED=()
TIMES=()
# TEST_ONLY=<extended regex> runs only the steps whose name matches (for re-checking one area
# after a rebase); unset, every step runs.
step() {
  local name=$1; shift
  if [ -n "${TEST_ONLY:-}" ] && ! [[ $name =~ $TEST_ONLY ]]; then return 0; fi
  echo
  echo "== $name"
  local t0=$SECONDS
  if "$@"; then PASSED+=("$name"); else FAILED+=("$name"); echo "!! $name failed"; fi
  TIMES+=("$(printf '%5ds  %s' $((SECONDS - t0)) "$name")")
}

# The gates first: formatting and lints over every crate (bindings and benches included).
step "cargo fmt --check" cargo fmt --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
# Default members only (core, ffi): a plain `cargo test` needs no Python or Node toolchain.
step "cargo test" cargo test
# Built once here; the Node and Python tests spawn target/release/examples/{e2e,chat}.
step "build examples" cargo build --release --examples -p roomcast
step "node e2e tests" bash -c 'cd tests/node && node --test --test-reporter=spec ./*.test.mjs'
step "python client tests" "$ROOT/.venv-tests/bin/python" -m pytest -q tests/python
for script in test-c test-python test-node-binding test-browser test-dist test-cluster test-hardening test-ops test-admin; do
  if [ -f "scripts/$script.sh" ]; then
    step "scripts/$script.sh" bash "scripts/$script.sh"
  fi
done
step "scripts/bench-smoke.sh" bash scripts/bench-smoke.sh

echo
echo "== summary"
for s in "${PASSED[@]}"; do echo "ok    $s"; done
for s in "${FAILED[@]+"${FAILED[@]}"}"; do echo "FAIL  $s"; done
echo "== time per step (setup took ${SETUP_S}s, the whole run ${SECONDS}s)"
for t in "${TIMES[@]+"${TIMES[@]}"}"; do echo "$t"; done
echo "steps: ${#PASSED[@]} passed, ${#FAILED[@]} failed"
[ "${#FAILED[@]}" -eq 0 ]
