#!/usr/bin/env bash
# Fails when `buf generate` would change gen/, scripts/gen-test-models.sh test/models/gen, or
# scripts/gen-conformance.sh test/conformance/gen:
# generated code is committed and never edited.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# buf.gen.yaml's plugin and options, writing to a temporary directory.
npx buf generate --exclude-path proto/buf --template '{"version":"v2","plugins":[{"local":"node_modules/.bin/protoc-gen-es","out":"'"$tmp"'/gen","opt":["target=ts","import_extension=js","rewrite_imports=./buf/validate/*_pb.js:@bufbuild/protovalidate/gen"]}]}' proto
if ! diff -r gen "$tmp/gen"; then
  echo "gen/ is out of date: run 'npx buf generate' and commit the result" >&2
  exit 1
fi
bash scripts/gen-test-models.sh "$tmp/test-models-gen"
if ! diff -r test/models/gen "$tmp/test-models-gen"; then
  echo "test/models/gen is out of date: run 'bash scripts/gen-test-models.sh' and commit the result" >&2
  exit 1
fi
bash scripts/gen-conformance.sh "$tmp/conformance-gen"
if ! diff -r test/conformance/gen "$tmp/conformance-gen"; then
  echo "test/conformance/gen is out of date: run 'bash scripts/gen-conformance.sh' and commit the result" >&2
  exit 1
fi
