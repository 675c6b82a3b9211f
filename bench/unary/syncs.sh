#!/usr/bin/env bash
# How anykv's and etcd's synced writes differ per call: CPU, context switches, fdatasync and write
# syscalls per Put, counted by Linux perf over the same ghz load (64 in flight, 100-byte values
# over 1000 keys), anykv and etcd alternated ROUNDS times. fdatasync per call is one over the
# size of the group a sync made durable.
#
#   npx tsc -p tsconfig.bench.json && bash bench/unary/setup.sh
#   bash bench/unary/syncs.sh                        # anykv on the Node on PATH
#   NODE="$(bash scripts/node24.sh)/node" bash bench/unary/syncs.sh
#
# Env: NODE (node), ROUNDS (2), WARMUP (10 s of Put before each count), SECONDS_RUN (8 s counted).
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE=${NODE:-node}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-10}
SECONDS_RUN=${SECONDS_RUN:-8}
. bench/unary/anykv-ghz.sh
[ -d .tools/etcd-proto ] || { echo "syncs.sh: .tools/etcd-proto is missing; run bash bench/unary/setup.sh" >&2; exit 1; }
command -v perf >/dev/null || { echo "syncs.sh: perf is missing; run bash bench/unary/setup.sh" >&2; exit 1; }

dir=$(mktemp -d)
free_port() { "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
client=127.0.0.1:$(free_port)
peer=127.0.0.1:$(free_port)
etcd --name bench --data-dir "$dir/etcd" --listen-client-urls "http://$client" --advertise-client-urls "http://$client" \
  --listen-peer-urls "http://$peer" --initial-advertise-peer-urls "http://$peer" --initial-cluster "bench=http://$peer" \
  --logger zap >"$dir/etcd.log" 2>&1 &
etcd_pid=$!
trap 'kill $etcd_pid ${anykv_pid:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
start_anykv "$dir/anykv.log" "$dir/anykv"
etcd_ready() { grep -q "ready to serve client requests\|serving client traffic" "$dir/etcd.log"; }
for _ in $(seq 100); do etcd_ready && break; sleep 0.1; done
etcd_ready || { echo "syncs.sh: etcd did not start:" >&2; tail -20 "$dir/etcd.log" >&2; exit 1; }

anykv_put() { anykv_call Put -d "$PUT_DATA" -c 64 "$@"; }
etcd_put() {
  "$GHZ" --insecure --proto etcd/api/etcdserverpb/rpc.proto --import-paths .tools/etcd-proto --call etcdserverpb.KV.Put \
    -d "{\"key\": \"{{ printf \`k/%d\` (mod .RequestNumber 1000) | b64enc }}\", \"value\": \"$(printf '%s' "$VALUE" | base64 -w0)\"}" \
    -c 64 "$@" "$client"
}

EVENTS=task-clock,context-switches,syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync,syscalls:sys_enter_write,syscalls:sys_enter_pwrite64
echo "Put, 64 in flight, per OK call (anykv on $("$NODE" --version), etcd $(etcd --version | sed -n 's/^etcd Version: //p')):"
printf '| round | server | calls/s | CPU µs | context switches | fdatasync + fsync | write + pwrite64 |\n|---|---|---:|---:|---:|---:|---:|\n'
for round in $(seq "$ROUNDS"); do
  for server in anykv etcd; do
    if [ "$server" = anykv ]; then pid=$anykv_pid; put=anykv_put; else pid=$etcd_pid; put=etcd_put; fi
    $put -z "${WARMUP}s" >/dev/null
    perf stat -x, -e "$EVENTS" -p "$pid" -o "$dir/stat" -- sleep "$SECONDS_RUN" &
    counting=$!
    ok=$($put -z "${SECONDS_RUN}s" --format json | ok_calls)
    wait "$counting"
    awk -F, -v ok="$ok" -v round="$round" -v server="$server" -v secs="$SECONDS_RUN" '
      /^#/ || NF < 3 { next }
      { n[$3] = $1 }
      END {
        printf "| %d | %s | %d | %.1f | %.2f | %.3f | %.2f |\n", round, server, ok / secs,
          n["task-clock"] * 1000 / ok, n["context-switches"] / ok,
          (n["syscalls:sys_enter_fdatasync"] + n["syscalls:sys_enter_fsync"]) / ok,
          (n["syscalls:sys_enter_write"] + n["syscalls:sys_enter_pwrite64"]) / ok }' "$dir/stat"
  done
done
