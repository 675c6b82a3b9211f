#!/usr/bin/env bash
# The whole test suite, as `npm test` and CI run it: tools, lint, generated
# code, types, then every vitest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"

bash scripts/setup-test-tools.sh
echo "== buf lint"; npx buf lint
echo "== gen/ is current"; bash scripts/check-generated.sh
echo "== biome"; npx biome check .
echo "== tsc"; npx tsc -p tsconfig.test.json
echo "== vitest"; npx vitest run "$@"
