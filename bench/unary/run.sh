#!/usr/bin/env bash
# bench/unary in one command (npm run bench:unary [-- --quick | options]): installs ghz, etcd and
# etcd's protos (setup.sh), builds anykv and the benchmark (tsc -p tsconfig.bench.json, the same
# compiled code as `npm run build` plus bench/), then runs it. Options: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash bench/unary/setup.sh
npx tsc -p tsconfig.bench.json
PATH="$PWD/.tools/bin:$PATH" exec node dist/bench/unary/main.js "$@"
