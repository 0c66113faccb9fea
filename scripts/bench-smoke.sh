#!/usr/bin/env bash
# CI smoke of the benchmark (issue 6), a few seconds: starts the Rust bench-server, runs the
# load generator's fan-out at a low fixed rate and an echo run, and checks from their JSON
# lines that they ran and that nothing was lost, reordered or mismatched; then the cluster
# smoke (two nodes on Redis, scripts/bench-cluster.sh SMOKE=1). No speed assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
cargo build --release --quiet -p roomcast --example bench-server
cargo build --release --quiet -p roomcast-loadgen
LOG=$(mktemp)
PORT=0 target/release/examples/bench-server > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
PORT=$(listening_port "$LOG")
[ -n "$PORT" ] || { echo "bench-server did not start:"; cat "$LOG"; exit 1; }

fanout=$(target/release/loadgen --scenario fanout --port "$PORT" --pid "$SERVER" --clients 50 --rooms 2 --senders 2 --rate 20000 --warmup 0.3 --duration 2 --label smoke)
echo "$fanout"
echo_=$(target/release/loadgen --scenario echo --port "$PORT" --pid "$SERVER" --clients 10 --inflight 4 --warmup 0.3 --duration 1 --label smoke)
echo "$echo_"
python3 - "$fanout" "$echo_" <<'PY'
import json, sys
f, e = json.loads(sys.argv[1]), json.loads(sys.argv[2])
problems = []
if "error" in f or "error" in e: problems.append("error reported")
if not f.get("delivered"): problems.append("fan-out delivered nothing")
if f.get("lost") != 0: problems.append(f"fan-out lost {f.get('lost')} messages")
if f.get("delivered") != f.get("expected_deliveries"): problems.append("delivered != expected")
if f.get("out_of_order") != 0: problems.append(f"{f.get('out_of_order')} deliveries out of order")
if not e.get("requests_per_s"): problems.append("echo got no acks")
if e.get("mismatched") != 0: problems.append(f"{e.get('mismatched')} echo acks did not carry the data back")
if problems:
    sys.exit("bench smoke failed: " + "; ".join(problems))
print("bench smoke ok")
PY

# The cluster scenario (scripts/bench-cluster.sh): two roomcast nodes on a redis-server,
# clients split across them, nothing may be lost.
SMOKE=1 bash scripts/bench-cluster.sh
