#!/usr/bin/env bash
# The side-by-side benchmark (issue 6): runs every server in turn on this machine, drives each
# with bench/loadgen, and writes BENCHMARKS.md (bench/report.py) from the JSON lines.
#
#   scripts/bench.sh                 # everything, headline fan-out repeated 3 times
#   DURATION=3 REPEATS=1 scripts/bench.sh   # a quicker pass
#   SERVERS="roomcast socketioxide" scripts/bench.sh   # a subset (names below)
#   CLUSTER=0 scripts/bench.sh       # without the cluster scenario (scripts/bench-cluster.sh)
#
# Each scenario gets a freshly started server (so peak RSS belongs to that scenario). With 2 or
# more CPUs the server is pinned to CPU 0 and the generator to the others (taskset).
# Results: target/bench/results.jsonl (one JSON line per run), report: BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# The port is below the ephemeral range (see /proc/sys/net/ipv4/ip_local_port_range), so the
# generator's own client ports can never take it; the next free one is used if taken.
bench_init 23900 results.jsonl
echo "== build (release)"
cargo build --release --quiet -p roomcast --example bench-server
cargo build --release --quiet -p roomcast-loadgen -p raw-relay -p socketioxide-bench-server
LOADGEN=$ROOT/target/release/loadgen

echo "== peers"
if [ ! -f bench/node/node_modules/.package-lock.json ] || [ bench/node/package-lock.json -nt bench/node/node_modules/.package-lock.json ]; then
  npm ci --prefix bench/node --no-audit --no-fund --loglevel=error
fi
PYPEER=$ROOT/bench/python/.venv
if [ ! -x "$PYPEER/bin/python" ]; then python3 -m venv "$PYPEER"; fi
"$PYPEER/bin/python" -c "import socketio, aiohttp, uvloop" 2>/dev/null \
  || "$PYPEER/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt

# The bindings' rows run when the binding is importable (installed by scripts/test-python.sh
# into target/venv-py; the Node module is built by bindings/node's npm install).
PYBIND_PY=${PYBIND_PY:-}
for py in "$ROOT/target/venv-py/bin/python" "$ROOT/.venv-tests/bin/python" python3; do
  if [ -z "$PYBIND_PY" ] && command -v "$py" >/dev/null && "$py" -c "import roomcast; roomcast.Server" 2>/dev/null; then PYBIND_PY=$py; fi
done
NODEBIND_OK=0
if [ -f examples/node/bench-server.js ] && node -e "require('$ROOT/bindings/node')" 2>/dev/null; then NODEBIND_OK=1; fi

# name|command (run from the repository root with PORT set)
ALL_SERVERS=(
  "roomcast|target/release/examples/bench-server"
  "roomcast-python|${PYBIND_PY:-python3} examples/python/bench_server.py"
  "roomcast-node|node examples/node/bench-server.js"
  "raw-relay|target/release/raw-relay"
  "socketioxide|target/release/socketioxide-bench-server"
  "node-socket.io|node bench/node/bench-server.js"
  "python-socketio|$PYPEER/bin/python bench/python/bench_server.py"
)
SERVERS=${SERVERS:-roomcast roomcast-python roomcast-node raw-relay socketioxide node-socket.io python-socketio}

available() {
  case $1 in
    roomcast-python) [ -n "$PYBIND_PY" ] && [ -f examples/python/bench_server.py ] ;;
    roomcast-node) [ "$NODEBIND_OK" = 1 ] ;;
    *) true ;;
  esac
}

start_server() {
  local cmd=$1
  # Never measure someone else's server: move to a port nobody listens on.
  while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
  PORT=$PORT "${PIN_SERVER[@]}" $cmd > "$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    if port_in_use "$PORT"; then
      sleep 0.2
      kill -0 "$SERVER_PID" 2>/dev/null && return 0
      break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "!! server did not start: $cmd"; cat "$OUT/server.log"; return 1
}
trap stop_server EXIT

# CPU cores other processes may use during a run before it is repeated (shared machines).
MAX_OTHER=${MAX_OTHER:-0.15}
ATTEMPTS=${ATTEMPTS:-3}
# How many cores other processes used in a result line (0 when not reported).
other_cores() {
  python3 - "$1" 2>/dev/null <<'PY' || echo 0
import json, sys
r = json.loads(sys.argv[1])
m = r.get("measured_s") or 0
print("%.2f" % ((r.get("other_cpu_s") or 0) / m if m else 0))
PY
}

# run SERVER_NAME CMD RUN_NAME loadgen-args...: one result line; a run disturbed by other
# processes (more than MAX_OTHER cores) is repeated up to ATTEMPTS times, the quietest kept.
run() {
  local name=$1 cmd=$2 run=$3; shift 3
  local best="" best_other=99 attempt line other
  for attempt in $(seq 1 "$ATTEMPTS"); do
    start_server "$cmd" || { line="{\"label\":\"$name\",\"error\":\"server did not start\"}"; best=$line; break; }
    line=$(timeout 300 "${PIN_GEN[@]}" "$LOADGEN" --port "$PORT" --pid "$SERVER_PID" --threads "$GEN_THREADS" --label "$name" "$@" | tail -1 || true)
    stop_server
    [ -n "$line" ] || line="{\"label\":\"$name\",\"error\":\"load generator failed or timed out\"}"
    other=$(other_cores "$line")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $other < $best_other else 1)"; then best=$line; best_other=$other; fi
    python3 -c "import sys; sys.exit(0 if $other <= $MAX_OTHER else 1)" && break
    echo "   ($run attempt $attempt disturbed: other processes used $other cores)"
  done
  echo "${best%\}},\"run\":\"$run\"}" >> "$RESULTS"
  echo "   $run: ${best:0:260}"
}

for name in $SERVERS; do
  cmd=
  for entry in "${ALL_SERVERS[@]}"; do [ "${entry%%|*}" = "$name" ] && cmd=${entry#*|}; done
  [ -n "$cmd" ] || { echo "unknown server $name"; exit 2; }
  if ! available "$name"; then
    echo "== $name: pending (binding or its bench server not available)"
    echo "{\"label\":\"$name\",\"run\":\"pending\"}" >> "$RESULTS"
    continue
  fi
  echo "== $name: $cmd"
  for i in $(seq 1 "$REPEATS"); do
    run "$name" "$cmd" "fanout-max" --scenario fanout --clients 1000 --rooms 1 --senders 1 --window 16 --duration "$DURATION"
  done
  run "$name" "$cmd" "fanout-rate" --scenario fanout --clients 1000 --rate 200000 --duration "$DURATION"
  run "$name" "$cmd" "fanout-w64" --scenario fanout --clients 1000 --window 64 --duration "$DURATION"
  run "$name" "$cmd" "fanout-w64x4" --scenario fanout --clients 1000 --senders 4 --window 64 --duration "$DURATION"
  run "$name" "$cmd" "echo" --scenario echo --clients 200 --inflight 4 --duration "$DURATION"
  run "$name" "$cmd" "connect" --scenario connect --clients 10000 --hold 1
done

# The cluster scenario (two nodes on one Redis, issue 10): bench/cluster.md, which
# bench/report.py includes. CLUSTER=0 skips it.
if [ "${CLUSTER:-1}" = 1 ]; then
  echo "== cluster scenario (scripts/bench-cluster.sh)"
  DURATION=$DURATION bash scripts/bench-cluster.sh || echo "!! cluster scenario failed"
fi

# Machine, versions, command for the report.
cat > "$OUT/meta.json" <<EOF
{
  "date": "$(date -u +%Y-%m-%dT%H:%MZ)",
  "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
  "ncpu": $NCPU,
  "mem": "$(free -h | awk '/Mem:/{print $2}')",
  "kernel": "$(uname -r)",
  "pinning": "$PINNING",
  "load_before": "$LOAD_BEFORE",
  "max_other": "$MAX_OTHER",
  "attempts": $ATTEMPTS,
  "rustc": "$(rustc --version)",
  "node": "$(node --version)",
  "python": "$(python3 --version 2>&1)",
  "socket_io": "$(node -p "require('./bench/node/node_modules/socket.io/package.json').version")",
  "socketioxide": "$(grep -A1 '^name = "socketioxide"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')",
  "python_binding": "${PYBIND_PY:-none}",
  "python_socketio": "$("$PYPEER/bin/python" -c 'import importlib.metadata as m; print(m.version("python-socketio"))')",
  "roomcast": "$BUILT",
  "duration": $DURATION,
  "repeats": $REPEATS,
  "load_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "command": "DURATION=$DURATION REPEATS=$REPEATS ATTEMPTS=$ATTEMPTS MAX_OTHER=$MAX_OTHER SERVERS='$SERVERS' scripts/bench.sh"
}
EOF
python3 bench/report.py "$RESULTS" "$OUT/meta.json" > BENCHMARKS.md
echo "== wrote BENCHMARKS.md"
