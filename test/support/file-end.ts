import { afterAll } from "vitest";

// Cleanups that run when the test file ends, the last registered first (a server is stopped
// before its data directory is removed). The helpers that make servers and directories are called
// inside tests and hooks, where vitest never runs an afterAll registered: this module registers the
// one afterAll as the file loads it. Every cleanup runs, even after one fails.
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  const errors: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, "a cleanup at the end of the test file failed");
});

/** Runs `cleanup` when the test file ends, wherever this is called (a test, a hook, a module). */
export function atFileEnd(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}
