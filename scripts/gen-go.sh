#!/usr/bin/env bash
# Generates Go stubs (messages and gRPC clients/servers) for anykv's API:
#   bash scripts/gen-go.sh [OUT] [GO_PACKAGE_PREFIX]
# OUT defaults to gen-go, GO_PACKAGE_PREFIX to example.com/anykv/gen/go (use your module's
# path). Installs protoc-gen-go and protoc-gen-go-grpc at pinned versions into .tools/bin.
set -euo pipefail
# OUT is relative to the directory the script is run from, as a user expects; the default lives
# in the repository.
if [ $# -ge 1 ]; then out="$(realpath -m "$1")"; else out="$(realpath -m "$(dirname "$0")/../gen-go")"; fi
cd "$(dirname "$0")/.."
prefix="${2:-example.com/anykv/gen/go}"
export GOBIN="$PWD/.tools/bin"
export PATH="$GOBIN:$PATH"
[ -x "$GOBIN/protoc-gen-go" ] || go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11
[ -x "$GOBIN/protoc-gen-go-grpc" ] || go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
template="$(sed -e "s#out: gen-go#out: ${out}#" -e "s#value: example.com/anykv/gen/go#value: ${prefix}#" buf.gen.go.yaml)"
npx buf generate --template "$template"
echo "Go stubs in $out (package prefix $prefix)"
