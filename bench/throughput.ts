/**
 * Listing rate and bulk put rate of anykv against in-process `level` on the
 * same machine, in one run: PutMany in calls of 1000 items against LevelDB
 * batches of 1000, and ListKeys / ListValues through the Node client against
 * LevelDB's key and entry iterators. The anykv server runs in a child process
 * (LevelDB in a temporary directory); the client and `level` run here.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/throughput.js [keys]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { createStore } from "../src/client/index.js";
import { startBenchServer } from "./support/bench-child.js";

const KEYS = Number(process.argv[2] ?? 200_000);
const BATCH = 1000;
const VALUE = "x".repeat(100);
const key = (i: number) => `k/${String(i).padStart(8, "0")}`;

const rows: Array<[string, number, number]> = [];
const time = async (what: string, level: () => Promise<number>, anykv: () => Promise<number>) => {
  let t = performance.now();
  const n1 = await level();
  const levelRate = n1 / ((performance.now() - t) / 1000);
  t = performance.now();
  const n2 = await anykv();
  const anykvRate = n2 / ((performance.now() - t) / 1000);
  if (n1 !== KEYS || n2 !== KEYS) throw new Error(`${what}: counted ${n1} and ${n2}, expected ${KEYS}`);
  rows.push([what, levelRate, anykvRate]);
};

const dir = mkdtempSync(join(tmpdir(), "anykv-bench-level-"));
const db = new Level<string, Uint8Array>(join(dir, "db"), { keyEncoding: "utf8", valueEncoding: "view" });
const server = await startBenchServer();
try {
  const store = createStore({ baseUrl: server.url, namespace: "bench" });
  const bytes = new TextEncoder().encode(VALUE);
  await time(
    `bulk put, ${BATCH} per call`,
    async () => {
      for (let start = 0; start < KEYS; start += BATCH) {
        const batch = db.batch();
        for (let i = start; i < Math.min(KEYS, start + BATCH); i++) batch.put(key(i), bytes);
        await batch.write();
      }
      return KEYS;
    },
    async () => {
      let stored = 0;
      for (let start = 0; start < KEYS; start += BATCH) {
        const items = [];
        for (let i = start; i < Math.min(KEYS, start + BATCH); i++) items.push({ key: key(i), value: VALUE });
        stored += (await store.putMany(items)).filter((r) => r.stored).length;
      }
      return stored;
    },
  );
  await time(
    "list keys",
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
    "list keys and values",
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
  await server.stop();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`${KEYS} keys, ${VALUE.length}-byte text values; rates in keys per second`);
console.log("| operation | level (in-process) | anykv (gRPC, Node client) | anykv / level |");
console.log("|---|---:|---:|---:|");
for (const [what, level, anykv] of rows) {
  console.log(`| ${what} | ${Math.round(level)} | ${Math.round(anykv)} | ${(anykv / level).toFixed(3)} |`);
}
