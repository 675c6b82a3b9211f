#!/usr/bin/env bash
# The whole test suite, as `npm test` and CI run it: tools, lint, generated
# code, types, then every vitest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"

bash scripts/setup-test-tools.sh
echo "== buf lint"; npx buf lint
# The released API (proto/anykv-v1.binpb, see CHANGELOG.md): anything that would break a client
# built against it fails here.
echo "== buf breaking"; npx buf breaking --against proto/anykv-v1.binpb
echo "== gen/ is current"; bash scripts/check-generated.sh
echo "== biome"; npx biome check .
echo "== tsc"; npx tsc -p tsconfig.test.json
echo "== vitest"; npx vitest run "$@"
