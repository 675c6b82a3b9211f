#!/usr/bin/env bash
# Installs what bench/unary needs besides node_modules, as scripts/setup-test-tools.sh does for
# the tests: ghz (go install) in .tools/bin, Debian's etcd-server when no etcd is on the PATH,
# Debian's linux-perf when no perf is (threads.sh's PERF mode), and etcd's .proto files in
# .tools/etcd-proto (etcd does not serve gRPC reflection, so ghz reads them: the etcd API Go
# module and the two modules its rpc.proto imports from). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

GHZ=github.com/bojand/ghz/cmd/ghz@v0.120.0
ETCD_API=go.etcd.io/etcd/api/v3@v3.5.17
GOGO=github.com/gogo/protobuf@v1.3.2
GATEWAY=github.com/grpc-ecosystem/grpc-gateway@v1.16.0

mkdir -p .tools/bin
export GOBIN="$PWD/.tools/bin"
if [ ! -x .tools/bin/ghz ]; then
  echo "setup: go install $GHZ"
  go install "$GHZ"
fi

if ! command -v etcd >/dev/null; then
  echo "setup: apt-get install etcd-server"
  apt-get update -qq && apt-get install -y -qq etcd-server
fi

# Linux perf, for threads.sh's on-CPU profiles (PERF=N).
if ! command -v perf >/dev/null; then
  echo "setup: apt-get install linux-perf"
  apt-get update -qq && apt-get install -y -qq linux-perf
fi

PROTO=.tools/etcd-proto
if [ ! -f "$PROTO/etcd/api/etcdserverpb/rpc.proto" ]; then
  echo "setup: etcd's .proto files from $ETCD_API"
  module_dir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
  etcd=$(module_dir "$ETCD_API")
  gogo=$(module_dir "$GOGO")
  gateway=$(module_dir "$GATEWAY")
  rm -rf "$PROTO"
  mkdir -p "$PROTO/etcd/api" "$PROTO/gogoproto" "$PROTO/google/api"
  # rpc.proto imports "etcd/api/mvccpb/kv.proto": the module's root is etcd/api.
  for dir in etcdserverpb mvccpb authpb; do
    mkdir -p "$PROTO/etcd/api/$dir"
    cp "$etcd/$dir"/*.proto "$PROTO/etcd/api/$dir/"
  done
  cp "$gogo/gogoproto/gogo.proto" "$PROTO/gogoproto/"
  cp "$gateway/third_party/googleapis/google/api/"{annotations,http}.proto "$PROTO/google/api/"
  chmod -R u+w "$PROTO"
fi
