#!/usr/bin/env bash
# What serving through the user's own http.Server costs (issue 13): the Node bench server
# (examples/node/bench-server.js) on roomcast's own port vs attached to a plain
# http.createServer (BENCH_ATTACH=1: WebSocket upgrades handed over as the socket's
# descriptor, polling requests bridged through Node's HTTP client), alternating run by run,
# REPEATS pairs. Three loads: loadgen's WebSocket echo (acks/s), loadgen's connect
# (WebSocket handshakes/s), and bench/node/polling-echo.js (long-polling acks/s). Prints
# each run's JSON and the medians; numbers go to BENCHMARKS.md by hand. Knobs: DURATION
# (s, default 5), REPEATS (default 3), BENCH_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-5}
REPEATS=${REPEATS:-3}
PORT=${BENCH_PORT:-25950}
OUT=$ROOT/target/bench
mkdir -p "$OUT"
RESULTS=$OUT/attach.jsonl
: > "$RESULTS"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== build (release)"
cargo build --release --quiet -p roomcast-loadgen
(cd bindings/node && node scripts/build-native.js)
[ -d tests/node/node_modules/socket.io-client ] || npm ci --prefix tests/node --silent --no-audit --no-fund
LOADGEN=$ROOT/target/release/loadgen

port_in_use() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT

start() { # own|attached
  while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
  local attach=0
  [ "$1" = attached ] && attach=1
  BENCH_ATTACH=$attach PORT=$PORT node examples/node/bench-server.js > "$OUT/attach-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do port_in_use "$PORT" && break; sleep 0.05; done
}

for i in $(seq 1 "$REPEATS"); do
  for mode in own attached; do
    start "$mode"
    timeout 300 "$LOADGEN" --port "$PORT" --pid "$SERVER_PID" --label "ws-echo-$mode" --scenario echo \
      --clients 100 --inflight 4 --duration "$DURATION" | tail -1 >> "$RESULTS" || true
    timeout 300 "$LOADGEN" --port "$PORT" --pid "$SERVER_PID" --label "ws-connect-$mode" --scenario connect \
      --clients 2000 --hold 0 | tail -1 >> "$RESULTS" || true
    LABEL="polling-echo-$mode" SERVER_PID=$SERVER_PID PORT=$PORT DURATION=$DURATION CLIENTS=50 timeout 300 node bench/node/polling-echo.js >> "$RESULTS" || true
    stop_server
    sleep 1
  done
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
def med(label, key):
    v = [r[key] for r in rows if r.get("label") == label and key in r]
    return statistics.median(v) if v else float("nan")
for name, key in [("ws-echo", "requests_per_s"), ("ws-echo", "server_cpu_us_per_request"),
                  ("ws-connect", "connects_per_s"), ("ws-connect", "server_cpu_us_per_connect"),
                  ("polling-echo", "acks_per_s"), ("polling-echo", "server_cpu_us_per_ack")]:
    own, att = med(f"{name}-own", key), med(f"{name}-attached", key)
    print(f"{name:13s} {key:27s} own {own:9.1f}  attached {att:9.1f}  attached/own {att / own:.3f}")
PY
