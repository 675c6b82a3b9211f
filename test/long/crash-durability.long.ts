import { join } from "node:path";
import { expect, it } from "vitest";
import { crashRounds } from "../support/crash-load.js";
import { tempDir } from "../support/temp-dir.js";

const ROUNDS = Number(process.env.ANYKV_CRASH_ROUNDS ?? 100);

it(`keeps every acknowledged write through ${ROUNDS} kill -9 rounds under mixed concurrent writes`, async () => {
  const started = performance.now();
  const reports = await crashRounds({
    rounds: ROUNDS,
    writers: 16,
    keysPerWriter: 16,
    killAfterMs: [0, 1500],
    data: join(tempDir(), "data"),
    onRound: (r) => {
      if (r.round % 10 === 0 || r.problems.length > 0) console.log(JSON.stringify(r));
    },
  });
  const sum = (f: (r: (typeof reports)[number]) => number) => reports.reduce((n, r) => n + f(r), 0);
  console.log(
    `crash durability: ${reports.length} rounds in ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
      `${sum((r) => r.acknowledged)} calls acknowledged, ${sum((r) => r.interrupted)} interrupted by the kill ` +
      `(${sum((r) => r.appliedInterrupted)} of them applied), ${sum((r) => r.problems.length)} problems`,
  );
  expect(reports.flatMap((r) => r.problems)).toEqual([]);
  expect(reports.every((r) => r.acknowledged > 0)).toBe(true);
});
