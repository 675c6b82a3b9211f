#!/usr/bin/env bash
# Installs what the tests use besides node_modules: Python packages for the
# real Python peers, and Go tools (grpcurl, grpc-health-probe) into .tools/bin.
# Idempotent and quick when everything is already there. Fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }

python3 -m pip install --quiet --disable-pip-version-check -r test/python/requirements.txt

mkdir -p .tools/bin
export GOBIN="$PWD/.tools/bin"
while read -r tool module; do
  [ -z "$tool" ] && continue
  if [ ! -x "$GOBIN/$tool" ]; then
    echo "setup: go install $module"
    go install "$module"
  fi
done < scripts/go-tools.txt
