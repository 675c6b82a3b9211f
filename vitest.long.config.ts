import { defineConfig } from "vitest/config";

/**
 * `npm run test:long`: the long robustness runs (test/long), never part of `npm test`:
 * 100 kill -9 rounds and a 5-minute soak with 200 clients. Their figures go in bench/README.md.
 */
export default defineConfig({
  test: {
    include: ["test/long/**/*.long.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    // One at a time: each one loads the machine on its own.
    fileParallelism: false,
  },
});
