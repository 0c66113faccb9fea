#!/usr/bin/env bash
# Before/after check for a core change, and the cost of connect-hold mode: runs the Rust
# bench-server built from BEFORE (a binary path) and from this checkout, the latter also with
# HOLD_CONNECT=1 (each CONNECT held until its Connection event is taken and released, as the
# Python and Node bindings run), alternating run by run so machine noise hits all alike.
# Scenarios: the headline fan-out (1000 clients, one room, window 16) and 10 000 connects.
# Prints one JSON line per run and a markdown table of medians and ratios to "before".
#
#   BEFORE=/path/to/old/bench-server REPEATS=3 DURATION=5 scripts/bench-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${BEFORE:?set BEFORE to the bench-server binary built from the base commit}
. scripts/bench-lib.sh
bench_init 24900 compare.jsonl
cargo build --release --quiet -p roomcast --example bench-server
cargo build --release --quiet -p roomcast-loadgen
AFTER=target/release/examples/bench-server
LOADGEN=target/release/loadgen

# one LABEL HOLD BINARY loadgen-args...
one() {
  local label=$1 hold=$2 bin=$3; shift 3
  while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
  HOLD_CONNECT=$hold PORT=$PORT "${PIN_SERVER[@]}" "$bin" > target/bench/compare-server.log 2>&1 &
  local pid=$!
  for _ in $(seq 1 200); do port_in_use "$PORT" && break; sleep 0.05; done
  local line
  line=$(timeout 300 "${PIN_GEN[@]}" "$LOADGEN" --port "$PORT" --pid "$pid" --threads "$GEN_THREADS" --label "$label" "$@" | tail -1 || echo "{\"label\":\"$label\",\"error\":\"failed\"}")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$line" | tee -a "$RESULTS"
  sleep 1
}

for _ in $(seq 1 "$REPEATS"); do
  for v in "before 0 $BEFORE" "after 0 $AFTER" "after-hold 1 $AFTER"; do
    set -- $v
    one "$1" "$2" "$3" --scenario fanout --clients 1000 --rooms 1 --senders 1 --window 16 --duration "$DURATION"
    one "$1" "$2" "$3" --scenario connect --clients 10000 --hold 1
  done
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(label, scenario, key):
    v = [r[key] for r in rows if r.get("label") == label and r.get("scenario") == scenario and key in r]
    return statistics.median(v) if v else None
print()
print("| server | fan-out deliveries/s (median) | ratio | connects/s, 10 000 clients (median) | ratio |")
print("|---|---|---|---|---|")
base_f, base_c = med("before", "fanout", "deliveries_per_s"), med("before", "connect", "connects_per_s")
for label in ("before", "after", "after-hold"):
    f, c = med(label, "fanout", "deliveries_per_s"), med(label, "connect", "connects_per_s")
    rf = f"{f / base_f:.2f}×" if f and base_f else "–"
    rc = f"{c / base_c:.2f}×" if c and base_c else "–"
    print(f"| {label} | {f and round(f):,} | {rf} | {c and round(c):,} | {rc} |")
PY
