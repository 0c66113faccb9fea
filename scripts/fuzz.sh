#!/usr/bin/env bash
# Fuzzes the decoders a client can reach (fuzz/fuzz_targets, entry points in core/src/fuzz.rs).
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 30 s for each of the five targets
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 0      run each target for that many inputs instead
# Each target starts from its checked-in seeds (fuzz/corpus/<target>, read only) and its
# dictionary (fuzz/dict/<target>.dict); what it discovers goes to fuzz/target/corpus/<target>.
# A crash stops the run and leaves its input in fuzz/artifacts/<target>/; add the fixed
# input to fuzz/corpus/<target>/ as a regression seed. Installs the nightly toolchain and
# cargo-fuzz when missing. Prints one line per target: "fuzz <target>: <execs> execs".
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH=${1:-30}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(engine_packet polling_payload socketio_packet handshake msgpack_packet)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "target/corpus/$t"
  log="target/fuzz-$t.log"
  # -print_final_stats prints stat::number_of_executed_units at the end.
  if [ -n "${FUZZ_RUNS:-}" ]; then budget=(-runs="$FUZZ_RUNS"); else budget=(-max_total_time="$SECONDS_EACH"); fi
  if cargo +nightly fuzz run "$t" "target/corpus/$t" "corpus/$t" -- \
      -dict="dict/$t.dict" "${budget[@]}" -max_len=4096 \
      -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    echo "fuzz $t: ${execs:-?} execs, no crash"
  else
    echo "fuzz $t: FAILED (see fuzz/$log and fuzz/artifacts/$t/)"
    tail -40 "$log"
    status=1
  fi
done
exit $status
