#!/usr/bin/env bash
# anykv on Redis (#10 item 8): unary Put and Get under ghz for `anykv serve --workers 1` against
# `--workers 2` (both running at once on one private Redis, each its own store, rounds interleaved),
# redis-benchmark SET/GET on the same Redis as the ceiling, and bulk rates (bench/shared-bulk.ts).
#   bash bench/shared/run.sh [seconds per run, 5] [rounds, 2] [in flight, 64] [connections, 4]
# ghz opens `connections` HTTP/2 connections: node:cluster gives each connection to one worker, so
# one connection would keep a second worker idle. Prints markdown tables.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-5}" ROUNDS="${2:-2}" CONCURRENCY="${3:-64}" CONNECTIONS="${4:-4}"
bash bench/unary/setup.sh >/dev/null
npx tsc -p tsconfig.bench.json
export PATH="$PWD/.tools/bin:$PATH"

dir="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/redis-server.sh stop "$dir"
  rm -rf "$dir"
}
trap cleanup EXIT
redis="$(bash scripts/redis-server.sh start "$dir")"
port="${redis##*:}"

# Starts anykv with N workers on its own store of the Redis; sets $url.
start_anykv() {
  local workers="$1" log="$dir/anykv-$1.log"
  node dist/src/cli/main.js serve --port 0 --backend "$redis/0?store=bench$workers" --workers "$workers" \
    >"$log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 300); do
    url="$(grep -o 'anykv listening on http://[0-9.:]*' "$log" | head -1 | sed 's/.* //' || true)"
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "anykv --workers $workers did not start:" >&2
  cat "$log" >&2
  exit 1
}
start_anykv 1; url1="$url"
start_anykv 2; url2="$url"

value="$(printf 'x%.0s' $(seq 1 100))"
put='{"key": "k/{{ mod .RequestNumber 1000 }}", "value": {"text": "'"$value"'"}}'
get='{"key": "k/{{ mod .RequestNumber 1000 }}"}'
# ghz METHOD DATA URL [extra args]: prints "rps p50 p99" (ms).
load() {
  ghz --insecure --proto anykv/v1/store.proto --import-paths proto --call "anykv.v1.StoreService.$1" \
    --data "$2" --concurrency "$CONCURRENCY" --connections "$CONNECTIONS" "${@:4}" --format json \
    "${3#http://}" | node -e '
      const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const ok = r.statusCodeDistribution?.OK ?? 0;
      const at = (p) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? 0) / 1e6;
      console.log(`${Math.round(r.count ? (r.rps * ok) / r.count : 0)} ${at(50).toFixed(2)} ${at(99).toFixed(2)}${ok === r.count ? "" : ` (${r.count - ok} failed)`}`);'
}
for u in "$url1" "$url2"; do load Put "$put" "$u" --total 2000 >/dev/null; done # fill the keys, warm up

echo "anykv on Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ghz: ${SECONDS_PER_RUN}s runs, $CONCURRENCY in flight over $CONNECTIONS connections, 100-byte values over 1000 keys"
echo
echo "| call | workers | round | req/s | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  for call in Put Get; do
    data="$put"; [ "$call" = Get ] && data="$get"
    # Interleaved: the order of the two servers alternates per round.
    order="1 2"; [ $((round % 2)) = 0 ] && order="2 1"
    for w in $order; do
      u="$url1"; [ "$w" = 2 ] && u="$url2"
      read -r rps p50 p99 rest < <(load "$call" "$data" "$u" --duration "${SECONDS_PER_RUN}s" --duration-stop ignore)
      echo "| $call | $w | $round | $rps | $p50 | $p99 |${rest:+ $rest}"
    done
  done
done
echo
echo "redis-benchmark on the same Redis (the ceiling), $CONCURRENCY clients, 100-byte values:"
echo
echo '```'
redis-benchmark -p "$port" -t set,get -n 200000 -c "$CONCURRENCY" -d 100 -r 1000 -q 2>&1 | tr '\r' '\n' | grep 'requests per second'
echo '```'
echo
for w in 1 2; do
  u="$url1"; [ "$w" = 2 ] && u="$url2"
  echo "Bulk rates, --workers $w:"
  echo
  node dist/bench/shared-bulk.js "$u" 20000 1
  echo
done
