/**
 * Listing rate and bulk put rate of anykv against in-process `level` on the
 * same machine, in one run: PutMany in calls of 1000 items against LevelDB
 * batches of 1000, and ListKeys / ListValues through the Node client against
 * LevelDB's key and entry iterators. The anykv server runs in a child process
 * (LevelDB in a temporary directory); the client and `level` run here.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/throughput.js [keys] [rounds]
 *
 * Rounds (default 1) repeat the three measurements, each round in a fresh
 * LevelDB and a fresh anykv namespace, level and anykv side by side; the
 * table shows each rate's median and the median of the rounds' ratios.
 * The server syncs its writes (--sync always, its default) and so does
 * level's batch.write(); BENCH_SYNC=none runs both without.
 * BENCH_PROFILE_DIR=dir writes a CPU profile of the server and of this
 * process (the client) for each anykv measurement of the first round:
 * dir/server-put.cpuprofile, dir/client-put.cpuprofile, … (read them with
 * `node dist/bench/profile-top.js FILE`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { createStore } from "../src/client/index.js";
import { type BenchServer, startBenchServer } from "./support/bench-child.js";
import { startCpuProfile } from "./support/cpu-profile.js";
import { median } from "./support/stats.js";

const KEYS = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 1);
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const SYNC = process.env.BENCH_SYNC !== "none";
const BATCH = 1000;
const VALUE = "x".repeat(100);
const key = (i: number) => `k/${String(i).padStart(8, "0")}`;

const rates = new Map<string, { level: number[]; anykv: number[] }>();
const rate = async (count: () => Promise<number>) => {
  const t = performance.now();
  const n = await count();
  return { n, rate: n / ((performance.now() - t) / 1000) };
};
const time = async (
  server: BenchServer,
  round: number,
  what: string,
  slug: string,
  level: () => Promise<number>,
  anykv: () => Promise<number>,
) => {
  const l = await rate(level);
  const profile = PROFILE_DIR !== undefined && round === 0;
  const client = profile ? await startCpuProfile() : undefined;
  if (profile) await server.startProfile();
  const a = await rate(anykv);
  if (profile) {
    await server.stopProfile(join(PROFILE_DIR, `server-${slug}.cpuprofile`));
    await client?.stop(join(PROFILE_DIR, `client-${slug}.cpuprofile`));
  }
  if (l.n !== KEYS || a.n !== KEYS) throw new Error(`${what}: counted ${l.n} and ${a.n}, expected ${KEYS}`);
  const row = rates.get(what) ?? { level: [], anykv: [] };
  row.level.push(l.rate);
  row.anykv.push(a.rate);
  rates.set(what, row);
};

const server = await startBenchServer();
try {
  for (let round = 0; round < ROUNDS; round++) await measure(server, round);
} finally {
  await server.stop();
}

const range = (xs: readonly number[], digits: number) =>
  xs.length > 1 ? ` (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : "";
console.log(
  `${KEYS} keys, ${VALUE.length}-byte text values, ${ROUNDS} round(s), writes ${SYNC ? "synced" : "not synced"}; rates in keys per second`,
);
console.log("| operation | level (in-process) | anykv (gRPC, Node client) | anykv / level |");
console.log("|---|---:|---:|---:|");
for (const [what, row] of rates) {
  const ratios = row.anykv.map((a, i) => a / row.level[i]!);
  console.log(
    `| ${what} | ${Math.round(median(row.level))} | ${Math.round(median(row.anykv))} | ${median(ratios).toFixed(3)}${range(ratios, 3)} |`,
  );
}

async function measure(server: BenchServer, round: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "anykv-bench-level-"));
  const db = new Level<string, Uint8Array>(join(dir, "db"), { keyEncoding: "utf8", valueEncoding: "view" });
  await db.open();
  try {
    const store = createStore({ baseUrl: server.url, namespace: `bench-${round}` });
    const bytes = new TextEncoder().encode(VALUE);
    await time(
      server,
      round,
      `bulk put, ${BATCH} per call`,
      "put",
      async () => {
        for (let start = 0; start < KEYS; start += BATCH) {
          const batch = db.batch();
          for (let i = start; i < Math.min(KEYS, start + BATCH); i++) batch.put(key(i), bytes);
          await batch.write({ sync: SYNC });
        }
        return KEYS;
      },
      async () => {
        let stored = 0;
        for (let start = 0; start < KEYS; start += BATCH) {
          const items = [];
          for (let i = start; i < Math.min(KEYS, start + BATCH); i++)
            items.push({ key: key(i), value: VALUE });
          stored += (await store.putMany(items)).filter((r) => r.stored).length;
        }
        return stored;
      },
    );
    await time(
      server,
      round,
      "list keys",
      "keys",
      async () => {
        let n = 0;
        for await (const _ of db.keys()) n++;
        return n;
      },
      async () => {
        let n = 0;
        for await (const _ of store.keys({ prefix: "k" })) n++;
        return n;
      },
    );
    await time(
      server,
      round,
      "list keys and values",
      "values",
      async () => {
        let n = 0;
        for await (const _ of db.iterator()) n++;
        return n;
      },
      async () => {
        let n = 0;
        for await (const item of store.values({ prefix: "k" })) if (item.value === VALUE) n++;
        return n;
      },
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
