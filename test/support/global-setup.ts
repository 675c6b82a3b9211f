import { execFileSync } from "node:child_process";

/** Builds dist/ once, for the tests that run the real CLI as a separate process. */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
}
