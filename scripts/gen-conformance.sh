#!/usr/bin/env bash
# TypeScript for the Connect conformance suite's protos (the ConformanceService the
# suite's server implements, and the runner's stdin/stdout messages), from the Go
# module that `go install connectrpc.com/conformance/cmd/connectconformance` uses:
#   bash scripts/gen-conformance.sh [OUT]    # OUT defaults to test/conformance/gen
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(awk '$1 == "connectconformance" { sub(/.*@/, "", $2); print $2 }' scripts/go-tools.txt)"
dir="$(GOFLAGS=-mod=mod go mod download -json "connectrpc.com/conformance@$version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')"
out="${1:-test/conformance/gen}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npx buf generate "$dir/proto" \
  --template '{"version":"v2","plugins":[{"local":"node_modules/.bin/protoc-gen-es","out":"'"$tmp"'","opt":["target=ts","import_extension=js"]}]}' \
  --path "$dir/proto/connectrpc/conformance/v1/service.proto" \
  --path "$dir/proto/connectrpc/conformance/v1/server_compat.proto" \
  --path "$dir/proto/connectrpc/conformance/v1/config.proto"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -r "$tmp" "$out"
