#!/usr/bin/env bash
# Prints the Node binary `npm start` runs the server on: Node 24, the current LTS. Node 20, which
# these machines carry, reached its end of life in April 2026 (no more security fixes), and the
# server costs a quarter to two thirds more CPU per call on it (bench/README.md, "Issue 9,
# fourteenth and fifteenth passes"). The machine's Node serves when it is 24 or newer; otherwise
# scripts/node24.sh fetches Node 24 once into .tools/node24 (linux-x64). ANYKV_NODE=/path/to/node
# overrides the choice.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${ANYKV_NODE:-}" ]; then
  echo "$ANYKV_NODE"
  exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -ge 24 ]; then
  command -v node
elif [ "$(uname -sm)" = "Linux x86_64" ] && dir=$(bash scripts/node24.sh); then
  echo "$dir/node"
else
  echo "npm start: could not fetch Node 24 (scripts/node24.sh, linux-x64 only); serving on this" \
    "machine's $(node --version). Install Node 24, the current LTS, to serve on it." >&2
  command -v node
fi
