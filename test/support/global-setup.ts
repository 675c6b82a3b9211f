import { execFileSync } from "node:child_process";

/**
 * Builds dist/ once, for the tests that run the real CLI as a separate
 * process. Type errors are scripts/test.sh's `tsc` step's business; here the
 * build only has to emit.
 */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json", "--noCheck"], { stdio: "inherit" });
}
