import { join } from "node:path";
import { expect, it } from "vitest";
import { crashRounds } from "../support/crash-load.js";
import { tempDir } from "../support/temp-dir.js";

// `npm run test:long` runs the same for 100 rounds (test/long/crash-durability.long.ts).
it("keeps every acknowledged write through kill -9 under mixed concurrent writes (3 rounds)", async () => {
  const reports = await crashRounds({
    rounds: 3,
    writers: 12,
    keysPerWriter: 8,
    killAfterMs: [100, 1000],
    data: join(tempDir(), "data"),
  });
  expect(reports.flatMap((r) => r.problems)).toEqual([]);
  // The rounds did put load under the kill: writes were acknowledged and some were cut off.
  expect(reports.every((r) => r.acknowledged > 0)).toBe(true);
  expect(reports.reduce((n, r) => n + r.interrupted, 0)).toBeGreaterThan(0);
}, 60_000);
