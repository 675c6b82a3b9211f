#!/usr/bin/env bash
# Generates Python stubs (messages, type stubs and gRPC services) for anykv's API:
#   bash scripts/gen-python.sh [OUT]          # OUT defaults to test/python/gen (gitignored)
# Needs grpcio-tools (pip install grpcio-tools; PYTHON=/path/to/python picks the interpreter);
# then `sys.path.insert(0, OUT)` and `from anykv.v1 import store_pb2, store_pb2_grpc`.
set -euo pipefail
# OUT is relative to the directory the script is run from, as a user expects; the default lives
# in the repository.
if [ $# -ge 1 ]; then out="$(realpath -m "$1")"; else out="$(realpath -m "$(dirname "$0")/../test/python/gen")"; fi
cd "$(dirname "$0")/.."
mkdir -p "$out"
# anykv's own files and buf/validate/validate.proto, which they import for their constraints
# (protovalidate v1.2.2, verbatim; no pip package is needed for it): the well-known types come
# with protobuf, google.rpc with googleapis-common-protos, and gRPC's health and reflection with
# grpcio-health-checking and grpcio-reflection.
mapfile -t files < <(cd proto && find anykv buf -name '*.proto' | sort)
"${PYTHON:-python3}" -m grpc_tools.protoc -I proto --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" "${files[@]}"
echo "Python stubs for ${files[*]} in $out"
