import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's shared redis-server (tests use random key prefixes on it): redis://127.0.0.1:PORT. */
    redisUrl: string;
  }
}

/**
 * Builds dist/ once, for the tests that run the real CLI as a separate
 * process. Type errors are scripts/test.sh's `tsc` step's business; here the
 * build only has to emit. Starts the engines of the shared backends, stopped after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json", "--noCheck"], { stdio: "inherit" });
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.close();
  };
}
