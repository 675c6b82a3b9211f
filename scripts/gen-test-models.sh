#!/usr/bin/env bash
# The test models (test/models/proto), compiled by protoc (grpcio-tools) against the
# buf/validate descriptor that @bufbuild/protovalidate embeds, so that no copy of
# validate.proto lives in this repository:
#   bash scripts/gen-test-models.sh [OUT]                  # protoc-gen-es code; OUT defaults to test/models/gen
#   bash scripts/gen-test-models.sh --descriptor-set FILE  # a FileDescriptorSet, as for `anykv serve --models`
# buf cannot compile .proto files against a descriptor set (its imports come from modules),
# while protoc's --descriptor_set_in does exactly that and runs protoc-gen-es as a plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# buf/validate/validate.proto and its imports, dependencies first, from the generated code
# of @bufbuild/protovalidate (the same descriptor the server validates with).
node --input-type=module -e '
import { writeFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
const files = [];
const visit = (file) => {
  if (files.includes(file.proto)) return;
  for (const dep of file.dependencies) visit(dep);
  files.push(file.proto);
};
visit(file_buf_validate_validate);
writeFileSync(process.argv[1], toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: files })));
' "$tmp/validate.binpb"

mapfile -t files < <(cd test/models/proto && find acme -name '*.proto' | sort)
# protoc comes from grpcio-tools: PYTHON's (as in gen-python.sh), else the test virtualenv's
# (scripts/setup-test-tools.sh, which npm test runs first), else python3 on PATH.
python="${PYTHON:-python3}"
if [ -z "${PYTHON:-}" ] && [ -x .tools/venv/bin/python3 ]; then python=.tools/venv/bin/python3; fi
protoc=("$python" -m grpc_tools.protoc --descriptor_set_in="$tmp/validate.binpb" -I test/models/proto)

if [ "${1:-}" = "--descriptor-set" ]; then
  out="${2:?usage: gen-test-models.sh --descriptor-set FILE}"
  "${protoc[@]}" --include_imports --include_source_info --descriptor_set_out="$out" "${files[@]}"
  exit 0
fi

out="${1:-test/models/gen}"
mkdir -p "$tmp/gen"
# buf/validate is not generated: its imports point at @bufbuild/protovalidate's own module.
"${protoc[@]}" --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es --es_out="$tmp/gen" \
  --es_opt=target=ts,import_extension=js,rewrite_imports=./buf/validate/*_pb.js:@bufbuild/protovalidate/gen \
  "${files[@]}"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -r "$tmp/gen" "$out"
