# Shared by the benchmark scripts (sourced, not run; the caller has cd'ed to the repository
# root and set -euo pipefail).
#
#   bench_init DEFAULT_PORT [RESULTS_NAME]
#     ROOT, DURATION (default 5 s), REPEATS (default 3), PORT (BENCH_PORT or DEFAULT_PORT),
#     OUT (target/bench, created), RESULTS ($OUT/RESULTS_NAME, emptied; left unset without
#     a name), BUILT (the commit
#     measured, "+local-edits" when core/, examples/rust or bench/ have changes), the file
#     limit raised to its hard limit, and the CPU pinning: with 2 or more CPUs the server
#     runs on CPU 0 (PIN_SERVER) and the generator on the others (PIN_GEN, GEN_THREADS
#     threads); PINNING says which in words.
#   port_in_use PORT           true when something listens on 127.0.0.1:PORT
#   stop_server                kills SERVER_PID (if set), waits for it and lets the kernel settle
#   listening_port LOG         waits (up to 10 s) for a server started with PORT=0 to print
#                              "listening on http://…:<port>" into LOG and prints the port
#   fanout_run NAME MODE [VAR=VALUE…]
#                              one headline fan-out run (1000 clients in one room, one
#                              sender, window 16, DURATION s) of $LOADGEN against a fresh
#                              target/release/examples/bench-server started with that
#                              environment; its JSON line, labelled NAME-MODE, goes to
#                              RESULTS with "mode":MODE. A function fanout_before_stop, when
#                              the caller defines one, runs with MODE before the server stops.

bench_init() {
  ROOT=$PWD
  DURATION=${DURATION:-5}
  REPEATS=${REPEATS:-3}
  PORT=${BENCH_PORT:-$1}
  OUT=$ROOT/target/bench
  mkdir -p "$OUT"
  if [ -n "${2:-}" ]; then
    RESULTS=$OUT/$2
    : > "$RESULTS"
  fi
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  BUILT=$(git rev-parse --short HEAD)$( [ -z "$(git status --porcelain -- core examples/rust bench)" ] || echo "+local-edits")
  NCPU=$(nproc)
  if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
    PIN_SERVER=(taskset -c 0); PIN_GEN=(taskset -c "1-$((NCPU - 1))"); GEN_THREADS=$((NCPU - 1))
    PINNING="server on CPU 0, load generator on CPUs 1-$((NCPU - 1)) (taskset)"
  else
    PIN_SERVER=(); PIN_GEN=(); GEN_THREADS=$NCPU; PINNING="none (fewer than 2 CPUs or no taskset)"
  fi
}

port_in_use() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
  # Let TIME_WAIT sockets and the kernel settle between runs.
  sleep 1
}

listening_port() {
  local port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$1")
    [ -n "$port" ] && break
    sleep 0.05
  done
  echo "$port"
}

fanout_run() {
  local name=$1 mode=$2 line
  shift 2
  while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
  env PORT="$PORT" "$@" "${PIN_SERVER[@]}" target/release/examples/bench-server > "$OUT/$name-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do port_in_use "$PORT" && break; sleep 0.05; done
  line=$(timeout 300 "${PIN_GEN[@]}" "$LOADGEN" --port "$PORT" --pid "$SERVER_PID" --threads "$GEN_THREADS" \
    --label "$name-$mode" --scenario fanout --clients 1000 --rooms 1 --senders 1 --window 16 \
    --duration "$DURATION" | tail -1 || true)
  if declare -F fanout_before_stop >/dev/null; then fanout_before_stop "$mode"; fi
  stop_server
  [ -n "$line" ] || line="{\"label\":\"$name-$mode\",\"error\":\"load generator failed\"}"
  echo "${line%\}},\"mode\":\"$mode\"}" >> "$RESULTS"
  echo "   $mode: ${line:0:200}"
}

# splice_section NAME: puts bench/NAME.md into the current BENCHMARKS.md between
# "<!-- NAME:start -->" and "<!-- NAME:end -->" (replacing the old copy; a new section goes
# after the last such section, or at the end). bench/report.py includes the same files
# when it regenerates BENCHMARKS.md.
splice_section() {
  python3 - "$1" <<'PY'
import re, sys
from pathlib import Path
name = sys.argv[1]
bm, sec = Path("BENCHMARKS.md"), Path(f"bench/{name}.md").read_text().rstrip() + "\n"
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
text = bm.read_text() if bm.exists() else ""
block = f"{start}\n{sec}{end}\n"
if start in text and end in text:
    a, b = text.index(start), text.index(end) + len(end) + 1
    text = text[:a] + block + text[b:]
else:
    ends = list(re.finditer(r"<!-- [a-z-]+:end -->\n", text))
    if ends:
        at = ends[-1].end()
        text = text[:at] + "\n" + block + text[at:]
    else:
        text = text.rstrip() + "\n\n" + block
bm.write_text(text)
PY
  echo "== BENCHMARKS.md updated (bench/$1.md)"
}
