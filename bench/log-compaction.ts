/**
 * What a log compaction pass costs per change-log entry, on LevelDB in-process (no server: the
 * compactor is store work). One store writes `writes` Puts (64 in flight, 100-byte values over
 * 1000 keys) and compacts; side by side, per round:
 *
 * - read back: a store that did not write them (a fresh compactor, as on a server that has just
 *   taken the maintenance lease, and as on every pass before the compactor was told its own
 *   writes) reads every entry to weigh it;
 * - told: the store that wrote them, whose compactor weighed each entry as it was written.
 *
 * The retention keeps everything, so neither pass deletes: the figure is the weighing alone.
 * CPU is process.cpuUsage() (LevelDB's threads included), per entry.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/log-compaction.js [writes=50000] [rounds=3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../src/backend/backend.js";
import { openLevelBackend } from "../src/backend/leveldb-backend.js";
import { Store } from "../src/store/store.js";

const WRITES = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), "anykv-bench-log-"));
const backend = await openLevelBackend({ location: join(dir, "data"), sync: "none" });
const options = { sweepIntervalMs: 0, watchRetentionEvents: 1e12, watchRetentionBytes: 1e15 };
// Stores that leave the shared backend open when they close.
const storeOn = (b: Backend) => new Store({ ...b, close: async () => undefined }, options);
const input = {
  value: new TextEncoder().encode("x".repeat(100)),
  codec: "text",
  kind: "str",
  model: "",
  contentType: "text/plain; charset=utf-8",
};

const writer = storeOn(backend);
await writer.compactLog(); // its first pass: from now on it is told its own writes
const cpuPerEntry = async (pass: () => Promise<unknown>) => {
  const start = process.cpuUsage();
  await pass();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / WRITES;
};

console.log("| round | read back: µs CPU per entry | told: µs CPU per entry |\n|---:|---:|---:|");
for (let round = 1; round <= ROUNDS; round++) {
  const from = await backend.revision();
  let i = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (i < WRITES) await writer.put("", `k/${i++ % 1000}`, input);
    }),
  );
  const told = await cpuPerEntry(() => writer.compactLog());
  // A fresh compactor that starts where this round's writes start (the compaction point).
  await backend.compact(from);
  const readBack = await cpuPerEntry(() => storeOn(backend).compactLog());
  console.log(`| ${round} | ${readBack.toFixed(2)} | ${told.toFixed(2)} |`);
}
await backend.close();
rmSync(dir, { recursive: true, force: true });
