/**
 * Group commit side by side: concurrent Puts per second through the store
 * (in-process, no server: commits are backend work) on LevelDB, with group
 * commit and with the old one-write-at-a-time queue, each with sync on and
 * off, against raw `level` batches with sync. Every cell opens a fresh
 * LevelDB in a temporary directory and runs for `seconds`; rounds interleave
 * the cells so that noise from other processes spreads over all of them.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/group-commit.js [seconds] [rounds]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import type { Backend } from "../src/backend/backend.js";
import { openLevelBackend } from "../src/backend/leveldb-backend.js";
import { type PutInput, Store } from "../src/store/store.js";

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONCURRENCY = [1, 16, 64];
const VALUE = new Uint8Array(100).fill(120);
const input: PutInput = { value: VALUE, codec: "raw", kind: "raw", model: "", contentType: "" };
const root = mkdtempSync(join(tmpdir(), "anykv-bench-gc-"));
let n = 0;

/** Runs `concurrency` workers that each repeat `op` until the time is up; returns ops per second. */
async function drive(concurrency: number, op: (i: number) => Promise<number>): Promise<number> {
  let next = 0;
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        // Not `done += await …`: that reads `done` before the await and loses other workers' counts.
        const count = await op(next++);
        done += count;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/** The old write path: every write waits for the one before it (one LevelDB batch each). */
function oneAtATime(backend: Backend): Backend {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    ...backend,
    write(ops, conditions) {
      const run = tail.then(() => backend.write(ops, conditions));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

async function throughStore(sync: "always" | "none", grouped: boolean, concurrency: number) {
  const backend = await openLevelBackend({ location: join(root, `db${n++}`), sync });
  const store = new Store(grouped ? backend : oneAtATime(backend), { sweepIntervalMs: 0 });
  try {
    return await drive(concurrency, async (i) => {
      await store.put("bench", `k/${i}`, input);
      return 1;
    });
  } finally {
    await store.close();
  }
}

async function rawLevel(concurrency: number, grouped: boolean) {
  const db = new Level<string, Uint8Array>(join(root, `db${n++}`), { valueEncoding: "view" });
  await db.open();
  try {
    if (!grouped)
      return await drive(concurrency, async (i) => {
        await db.batch([{ type: "put", key: `k/${i}`, value: VALUE }], { sync: true });
        return 1;
      });
    // One writer, batches of `concurrency` puts: the ceiling of a perfect group commit.
    let key = 0;
    return await drive(1, async () => {
      const ops = Array.from({ length: concurrency }, () => ({
        type: "put" as const,
        key: `k/${key++}`,
        value: VALUE,
      }));
      await db.batch(ops, { sync: true });
      return concurrency;
    });
  } finally {
    await db.close();
  }
}

const cells: Array<[string, (c: number) => Promise<number>]> = [
  ["store, group commit, sync always (new default)", (c) => throughStore("always", true, c)],
  ["store, group commit, sync none", (c) => throughStore("none", true, c)],
  ["store, one write at a time, sync always", (c) => throughStore("always", false, c)],
  ["store, one write at a time, sync none (old default)", (c) => throughStore("none", false, c)],
  ["level, N concurrent 1-put batches, sync", (c) => rawLevel(c, false)],
  ["level, one writer, batches of N puts, sync", (c) => rawLevel(c, true)],
];

try {
  const rates = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of cells) {
      for (const c of CONCURRENCY) {
        const id = `${name}|${c}`;
        const rate = await run(c);
        rates.set(id, [...(rates.get(id) ?? []), rate]);
        console.error(`round ${round + 1}: ${name}, N=${c}: ${Math.round(rate)}/s`);
      }
    }
  }
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  const cell = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return `${fmt(median)} (${fmt(sorted[0]!)}–${fmt(sorted.at(-1)!)})`;
  };
  console.log(
    `\n${cpus().length} CPUs (${cpus()[0]?.model}), Node ${process.version}, ${SECONDS} s per cell`,
  );
  console.log(`${ROUNDS} interleaved rounds; puts/s, median (min–max); 100-byte values, a new key each\n`);
  console.log(`| | ${CONCURRENCY.map((c) => `N = ${c}`).join(" | ")} |`);
  console.log(`|---|${CONCURRENCY.map(() => "---:").join("|")}|`);
  for (const [name] of cells)
    console.log(`| ${name} | ${CONCURRENCY.map((c) => cell(rates.get(`${name}|${c}`)!)).join(" | ")} |`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
