#!/usr/bin/env bash
# Where a warm anykv server spends its CPU, thread by thread: the main thread (JavaScript, HTTP/2,
# the event loop), V8's worker threads (parallel and concurrent garbage collection), and libuv's
# pool (LevelDB reads, writes and fsync). Starts `anykv serve` on an empty store, fills 1000 keys,
# warms it up with OP, then drives OP with ghz at 64 in flight (100-byte values) and divides each
# thread's utime + stime (/proc/PID/task/TID/stat) by the calls answered OK.
#
#   npx tsc -p tsconfig.bench.json && bash bench/unary/setup.sh
#   bash bench/unary/threads.sh Put                 # Get, Put; on the Node on PATH
#   NODE="$(bash scripts/node24.sh)/node" bash bench/unary/threads.sh Put -- --sync none
#   PERF=25 bash bench/unary/threads.sh Put         # and where each thread's CPU goes
#   GC=1 WINDOWS=12 bash bench/unary/threads.sh Put  # twelve windows in a row, with V8's GC
#
# Env: NODE (node), NODE_ARGS (V8 or Node flags for the server, after those of
# scripts/server-node-flags), WARMUP (15 s of OP), SECONDS_RUN (10 s of OP), WINDOWS (1: that many
# windows of SECONDS_RUN back to back, each reported alone: does a call cost more as the server
# takes more of them?), GC (1: also what V8 says of each window's garbage collection, from
# --trace-gc-nvp: the scavenges' pauses of the main thread and their parallel work on V8's workers,
# the bytes a call leaves that survive a scavenge and that are promoted to the old generation, and
# the mark-compacts' pauses), PERF (N: also sample the server on-CPU with Linux perf over the first
# window, cpu-clock at 2 kHz, and print µs per call by thread and binary and the top N symbols of
# each thread kind; JavaScript frames are named by --perf-basic-prof-only-functions. perf is
# Debian's linux-perf, which setup.sh installs. Where the CPU of a wait goes, in the kernel's
# context switches or a virtual disk's notifications, only this shows).
set -euo pipefail
cd "$(dirname "$0")/../.."
OP=${1:-Put}
shift || true
[ "${1:-}" = "--" ] && shift
NODE=${NODE:-node}
WARMUP=${WARMUP:-15}
SECONDS_RUN=${SECONDS_RUN:-10}
WINDOWS=${WINDOWS:-1}
GC=${GC:-}
. bench/unary/anykv-ghz.sh
[ -n "$GC" ] && NODE_ARGS="${NODE_ARGS:-} --trace-gc-nvp"

PERF=${PERF:-}
if [ -n "$PERF" ]; then
  command -v perf >/dev/null || { echo "threads.sh: perf is missing; run bash bench/unary/setup.sh" >&2; exit 1; }
  NODE_ARGS="${NODE_ARGS:-} --perf-basic-prof-only-functions"
fi

data=$(mktemp -d)
trap 'kill ${anykv_pid:-} 2>/dev/null || true; wait ${anykv_pid:-} 2>/dev/null || true; rm -rf "$data" "/tmp/perf-${anykv_pid:-}.map"' EXIT
start_anykv "$data/log" "$data/data" "$@"
pid=$anykv_pid
if [ "$OP" = Get ]; then data_of_op=$GET_DATA; else data_of_op=$PUT_DATA; fi

# Fill the keys, then warm up on OP itself: V8 compiles each method's path as it first runs hot.
anykv_call Put -d "$PUT_DATA" -c 16 -n 2000 >/dev/null
anykv_call "$OP" -d "$data_of_op" -c 64 -z "${WARMUP}s" >/dev/null
snapshot() {
  for task in /proc/$pid/task/*; do
    printf '%s %s\n' "$(basename "$task")-$(tr ' ' '_' <"$task/comm")" "$(awk '{print $14 + $15}' "$task/stat")"
  done | sort
}
ticks=$(getconf CLK_TCK)
# Node 24 names its threads (MainThread, V8Worker, libuv-worker); Node 20 calls them all "node".
# LevelDB's compaction thread is named after the pool thread that started it.
KINDS=("main thread" "libuv pool (LevelDB)" "V8 workers (GC)" "other threads")
kind_of='function kind(tid, name) {
  return tid == pid ? "main thread" : name ~ /^V8Worker/ ? "V8 workers (GC)" : name ~ /^libuv-worker/ ? "libuv pool (LevelDB)" : "other threads" }'
# V8's lines about one window's collections (--trace-gc-nvp; scavenges are gc=s, mark-compacts
# gc=mc): µs of pause and of parallel work per call, and bytes per call.
gc_summary() {
  awk -v ok="$1" '
    function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return 0 }
    / gc=s / { s++; pause += field("pause"); parallel += field("background.scavenge.parallel")
               promoted += field("promoted"); survived += field("new_space_survived") }
    / gc=mc / { mc++; mcPause += field("pause") }
    END { printf "  V8: %d scavenges, main thread %.1f µs and workers %.1f µs per call; %.0f bytes per call survived one, %.0f promoted\n", s, pause * 1000 / ok, parallel * 1000 / ok, survived / ok, promoted / ok
          printf "  V8: %d mark-compacts, main thread %.1f µs per call\n", mc, mcPause * 1000 / ok }'
}

for window in $(seq "$WINDOWS"); do
  before=$(snapshot)
  logged=$(wc -l <"$data/log")
  if [ -n "$PERF" ] && [ "$window" = 1 ]; then
    perf record -q -e cpu-clock -F 2000 -p "$pid" -o "$data/perf.data" -- sleep "$SECONDS_RUN" >/dev/null 2>&1 &
    recording=$!
  fi
  ok=$(anykv_call "$OP" -d "$data_of_op" -c 64 -z "${SECONDS_RUN}s" --format json | ok_calls)
  after=$(snapshot)
  [ "$window" = 1 ] && first_ok=$ok
  label=""
  [ "$WINDOWS" = 1 ] || label=", window $window of $WINDOWS"
  echo "$OP on $("$NODE" --version), 64 in flight$label: $ok OK calls in ${SECONDS_RUN} s ($((ok / SECONDS_RUN))/s); CPU µs per call:"
  join <(echo "$before") <(echo "$after") | awk -v ok="$ok" -v tck="$ticks" -v pid="$pid" "$kind_of"'
    { tid = $1; sub(/-.*/, "", tid); name = $1; sub(/^[0-9]+-/, "", name); us = ($3 - $2) * 1e6 / tck / ok
      group = kind(tid, name)
      sum[group] += us; total += us }
    END { for (g in sum) printf "  %-22s %7.1f\n", g, sum[g]; printf "  %-22s %7.1f\n", "all threads", total }'
  [ -z "$GC" ] || tail -n +"$((logged + 1))" "$data/log" | gc_summary "$ok"
done

[ -n "$PERF" ] || exit 0
wait "$recording" || true
ok=$first_ok
# perf's "pid" key is the thread: "TID:comm". Each sample is 0.5 ms of a thread's CPU.
samples() {
  perf report -i "$data/perf.data" --no-children --sort "pid,$1" -g none -q -n -t $'\t' 2>/dev/null |
    awk -F'\t' -v ok="$ok" -v pid="$pid" "$kind_of"'{
      tid = $3; sub(/:.*/, "", tid); gsub(/ /, "", tid); name = $3; sub(/^[^:]*:/, "", name)
      what = $4; gsub(/^ +| +$/, "", what); sub(/^\[JIT\] tid [0-9]+$/, "[JIT] JavaScript", what)
      us[kind(tid, name) "\t" what] += $2 * 500 / ok }
    END { for (k in us) printf "%.2f\t%s\n", us[k], k }' | sort -t$'\t' -k1,1 -g -r
}
echo "On-CPU samples (perf cpu-clock, 2 kHz), µs per call, by thread and binary:"
samples dso | awk -F'\t' '$1 >= 0.05 { printf "  %7.2f  %-22s %s\n", $1, $2, $3 }'
by_symbol=$(samples sym)
for kind in "${KINDS[@]}"; do
  echo "$by_symbol" | awk -F'\t' -v kind="$kind" -v top="$PERF" '
    $2 == kind && $1 >= 0.01 && shown++ < top {
      if (shown == 1) printf "Top %d symbols of the %s, µs per call:\n", top, kind
      printf "  %7.2f  %s\n", $1, substr($3, 1, 110) }'
done
