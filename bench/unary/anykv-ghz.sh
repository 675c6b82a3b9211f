# Sourced by threads.sh and syncs.sh: a built `anykv serve` on a free port and ghz calls to it,
# with bench/unary's load (100-byte text values over 1000 keys). Needs NODE, and the scripts'
# `cd` to the repository root.
GHZ=.tools/bin/ghz
SCRIPT=$(basename "$0")
[ -x "$GHZ" ] || { echo "$SCRIPT: $GHZ is missing; run bash bench/unary/setup.sh" >&2; exit 1; }
[ -f dist/src/cli/main.js ] || { echo "$SCRIPT: dist/ is missing; run npx tsc -p tsconfig.bench.json" >&2; exit 1; }

VALUE=$(printf 'x%.0s' $(seq 100))
KEY='"key": "k/{{ mod .RequestNumber 1000 }}"'
PUT_DATA="{$KEY, \"value\": {\"text\": \"$VALUE\"}}"
GET_DATA="{$KEY}"

# start_anykv LOG DATA_DIR [serve options]: sets anykv_pid at once (for the caller's trap), and
# `address` once the server listens; exits with its log when it does not. Node gets the flags npm
# start gives it (scripts/server-node-flags), then NODE_ARGS, which win.
start_anykv() {
  local log=$1 data=$2
  shift 2
  # shellcheck disable=SC2046,SC2086 # both are lists of flags
  "$NODE" $(grep -v '^#' scripts/server-node-flags) ${NODE_ARGS:-} dist/src/cli/main.js serve --port 0 --data "$data" "$@" >"$log" 2>&1 &
  anykv_pid=$!
  for _ in $(seq 100); do
    address=$(sed -n 's/.*listening on http:\/\/\([0-9.]*:[0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$address" ] && return
    sleep 0.1
  done
  echo "$SCRIPT: anykv did not start:" >&2
  cat "$log" >&2
  exit 1
}

# anykv_call METHOD [ghz options]: ghz against the server start_anykv started.
anykv_call() {
  "$GHZ" --insecure --proto anykv/v1/store.proto --import-paths proto --call "anykv.v1.StoreService.$1" "${@:2}" "$address"
}

# ghz's JSON report on stdin: the calls answered OK.
ok_calls() {
  "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).statusCodeDistribution.OK??0))'
}
