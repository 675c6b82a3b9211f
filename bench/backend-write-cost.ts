/**
 * The LevelDB backend's own CPU per write, in group commits of a given size: each write is a
 * record (260 bytes) and a change-log entry (300 bytes), as a 100-byte Put makes, over 1000 keys,
 * with no store, codecs or server around it (and no read cache, so commits are all there is).
 * With `--before DIR`, the same runs of another build's backend (DIR is its dist/) interleave
 * with this one's, so that a change to the backend is measured side by side in one process.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/backend-write-cost.js [groups=3000] [group size=22]
 *   node dist/bench/backend-write-cost.js 3000 22 --before /tmp/w-before/dist
 *
 * A third row, "level alone", is the engine's own floor: classic-level's chained batches of the
 * same shape (the records, one group entry holding the group's log entries, the counter) with no
 * backend around them.
 *
 * BENCH_SYNC=none writes unsynced. Figures: bench/README.md, twelfth and fourteenth passes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import type { Backend } from "../src/backend/backend.js";
import { openLevelBackend } from "../src/backend/leveldb-backend.js";
import { importFromBuild, takeBeforeDir } from "./support/builds.js";
import { median } from "./support/stats.js";

type Open = typeof openLevelBackend;
const args = process.argv.slice(2);
const beforeDir = takeBeforeDir(args);
const GROUPS = Number(args[0] ?? 3000);
const GROUP_SIZE = Number(args[1] ?? 22);
const ROUNDS = 4;
const sync = process.env.BENCH_SYNC === "none" ? "none" : "always";

const builds: Array<[string, () => Promise<number>]> = [
  ["this build", () => run(openLevelBackend)],
  ["level alone", runLevel],
];
if (beforeDir) {
  const { openLevelBackend: before } = await importFromBuild<{ openLevelBackend: Open }>(
    beforeDir,
    "src/backend/leveldb-backend.js",
  );
  builds.unshift([`before (${beforeDir})`, () => run(before)]);
}

const value = new Uint8Array(260).fill(120);
const change = new Uint8Array(300).fill(121);
const meta = { codec: "raw", kind: "raw", model: "", contentType: "", createdAt: 1, updatedAt: 2 };
const root = mkdtempSync(join(tmpdir(), "anykv-bench-backend-write-"));
let opened = 0;

/** CPU µs per write over `GROUPS` groups, after 500 groups of warm-up, on a fresh LevelDB. */
async function run(open: Open): Promise<number> {
  const location = join(root, `db${opened++}`);
  const backend: Backend = await open({ location, sync, cacheBytes: 0 });
  let key = 0;
  const groups = async (count: number) => {
    for (let g = 0; g < count; g++) {
      // Queued in one turn behind nothing in flight: the committer takes them as one group.
      const writes = Array.from({ length: GROUP_SIZE }, () =>
        backend.write([{ type: "put", key: `k/${key++ % 1000}`, record: { value, meta } }], [], change),
      );
      await Promise.all(writes);
    }
  };
  return cpuPerWrite(groups, () => backend.close(), location);
}

/** The same groups as `run`, as classic-level batches with no backend: what LevelDB itself costs. */
async function runLevel(): Promise<number> {
  const location = join(root, `db${opened++}`);
  const db = new Level<string, Uint8Array>(location, { keyEncoding: "utf8", valueEncoding: "view" });
  await db.open();
  // What the backend hands LevelDB per write: a record of about this size, and its log entry
  // with the group entry's per-entry header.
  const record = new Uint8Array(value.length + 4 + JSON.stringify({ ...meta, revision: 1 }).length);
  const groupEntry = new Uint8Array(5 + GROUP_SIZE * (12 + change.length));
  const encoder = new TextEncoder();
  let key = 0;
  let revision = 0;
  const groups = async (count: number) => {
    for (let g = 0; g < count; g++) {
      const batch = db.batch();
      for (let i = 0; i < GROUP_SIZE; i++) batch.put(`rk/${key++ % 1000}`, record);
      revision += GROUP_SIZE;
      batch.put(`g${String(revision).padStart(16, "0")}`, groupEntry);
      batch.put("c:revision", encoder.encode(String(revision)));
      await batch.write({ sync: sync === "always" });
    }
  };
  return cpuPerWrite(groups, () => db.close(), location);
}

/** CPU µs per write of `GROUPS` groups after 500 of warm-up; then closes and removes the store. */
async function cpuPerWrite(
  groups: (count: number) => Promise<void>,
  close: () => Promise<void>,
  location: string,
): Promise<number> {
  try {
    await groups(500);
    const cpu = process.cpuUsage();
    await groups(GROUPS);
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / (GROUPS * GROUP_SIZE);
  } finally {
    await close();
    rmSync(location, { recursive: true, force: true });
  }
}

const results = new Map<string, number[]>(builds.map(([name]) => [name, []]));
try {
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, measure] of builds) {
      const perWrite = await measure();
      results.get(name)!.push(perWrite);
      console.error(`round ${round + 1} ${name}: ${perWrite.toFixed(1)} µs CPU per write`);
    }
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(
  `LevelDB backend, sync ${sync}, groups of ${GROUP_SIZE}, ${GROUPS} groups, ${ROUNDS} interleaved rounds`,
);
console.log("| build | CPU µs per write, median (rounds) |\n|---|---:|");
for (const [name, xs] of results)
  console.log(`| ${name} | ${median(xs).toFixed(1)} (${xs.map((x) => x.toFixed(1)).join(", ")}) |`);
