#!/usr/bin/env bash
# What serving roomcast inside a Python web server costs (issue 13): the benchmark handlers
# (bench/python/carried_server.py) on roomcast's own port (AsyncServer.start), through
# roomcast.ASGIApp under uvicorn, through AsyncServer.attach on aiohttp, and, as the peer,
# python-socketio's own ASGIApp under uvicorn; modes alternate run by run, REPEATS rounds.
# Two loads: loadgen's WebSocket echo (100 clients, 4 acks in flight each: acks/s and the
# server's CPU per ack) and bench/node/polling-echo.js (50 long-polling socket.io-clients,
# one ack in flight each). Prints each run's JSON and the medians (ratios to `own`);
# numbers go to BENCHMARKS.md by hand. Knobs: DURATION (s, default 5), REPEATS (default 3),
# BENCH_PORT, MODES (default "own asgi aiohttp psio-asgi"). Uses target/venv-py, the venv
# scripts/test-python.sh builds (roomcast from source, uvicorn, aiohttp, python-socketio).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bench_init 26050 asgi.jsonl
MODES=${MODES:-own asgi aiohttp psio-asgi}
PY=$ROOT/target/venv-py/bin/python
if [ ! -x "$PY" ] || ! "$PY" -c 'import roomcast, uvicorn, aiohttp, socketio' 2>/dev/null; then
  echo "== scripts/test-python.sh's venv is missing: building it (tests skipped)"
  python3 -m venv "$ROOT/target/venv-py"
  "$ROOT/target/venv-py/bin/pip" install --quiet --disable-pip-version-check python-socketio aiohttp uvicorn websockets ./bindings/python
fi
echo "== build (release)"
cargo build --release --quiet -p roomcast-loadgen
[ -d tests/node/node_modules/socket.io-client ] || npm ci --prefix tests/node --silent --no-audit --no-fund
LOADGEN=$ROOT/target/release/loadgen
echo "== $BUILT; pinning: $PINNING"

start() { # MODE
  while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
  MODE=$1 PORT=$PORT "${PIN_SERVER[@]}" "$PY" bench/python/carried_server.py > "$OUT/asgi-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do port_in_use "$PORT" && break; sleep 0.05; done
}
trap stop_server EXIT

for i in $(seq 1 "$REPEATS"); do
  for mode in $MODES; do
    start "$mode"
    timeout 300 "${PIN_GEN[@]}" "$LOADGEN" --port "$PORT" --pid "$SERVER_PID" --label "ws-echo-$mode" --scenario echo \
      --clients 100 --inflight 4 --duration "$DURATION" --threads "$GEN_THREADS" | tail -1 | tee -a "$RESULTS" || true
    LABEL="polling-echo-$mode" SERVER_PID=$SERVER_PID PORT=$PORT DURATION=$DURATION CLIENTS=50 \
      timeout 300 "${PIN_GEN[@]}" node bench/node/polling-echo.js | tee -a "$RESULTS" || true
    stop_server
  done
done

python3 - "$RESULTS" $MODES <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
modes = sys.argv[2:]
def med(label, key):
    v = [r[key] for r in rows if r.get("label") == label and isinstance(r.get(key), (int, float))]
    return statistics.median(v) if v else float("nan")
for name, key in [("ws-echo", "requests_per_s"), ("ws-echo", "server_cpu_us_per_request"),
                  ("polling-echo", "acks_per_s"), ("polling-echo", "server_cpu_us_per_ack")]:
    own = med(f"{name}-own", key)
    cells = "  ".join(f"{m} {med(f'{name}-{m}', key):9.1f} ({med(f'{name}-{m}', key) / own:.2f}x)" for m in modes)
    print(f"{name:13s} {key:27s} {cells}")
PY
