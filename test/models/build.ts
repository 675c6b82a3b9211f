import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot, venvEnv } from "../support/tools.js";

/**
 * Builds the test models (test/models/proto) into a serialized FileDescriptorSet with every
 * import, as an operator would for `anykv serve --models`. scripts/gen-test-models.sh compiles
 * them with protoc against the buf/validate descriptor @bufbuild/protovalidate embeds: the same
 * path that generates test/models/gen.
 */
export function buildTestModels(dir: string): string {
  const out = join(dir, "acme-models.binpb");
  execFileSync("bash", ["scripts/gen-test-models.sh", "--descriptor-set", out], {
    cwd: repoRoot,
    env: { ...process.env, ...venvEnv },
    stdio: "pipe",
  });
  return out;
}
