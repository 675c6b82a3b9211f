/**
 * Bulk rates of an anykv server that is already running (any backend; written for the shared
 * ones, #10 item 8): PutMany in calls of 1000 items, ListKeys and ListValues through the Node
 * client, over gRPC (h2c), in a fresh namespace per round.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/shared-bulk.js URL [keys] [rounds]
 *
 * Prints one markdown row per operation: keys per second (median of the rounds, and the range).
 */
import { createStore } from "../src/client/index.js";
import { median } from "./support/stats.js";

const URL = process.argv[2];
if (!URL) throw new Error("usage: node dist/bench/shared-bulk.js URL [keys] [rounds]");
const KEYS = Number(process.argv[3] ?? 50_000);
const ROUNDS = Number(process.argv[4] ?? 2);
const BATCH = 1000;
const VALUE = "x".repeat(100);
const key = (i: number) => `k/${String(i).padStart(8, "0")}`;

const rates = new Map<string, number[]>();
const time = async (what: string, run: () => Promise<number>) => {
  const t = performance.now();
  const n = await run();
  if (n !== KEYS) throw new Error(`${what}: counted ${n}, expected ${KEYS}`);
  rates.set(what, [...(rates.get(what) ?? []), n / ((performance.now() - t) / 1000)]);
};

for (let round = 0; round < ROUNDS; round++) {
  const store = createStore({ baseUrl: URL, namespace: `bulk-${Date.now()}-${round}` });
  await time(`bulk put (PutMany of ${BATCH})`, async () => {
    let stored = 0;
    for (let start = 0; start < KEYS; start += BATCH) {
      const items = [];
      for (let i = start; i < Math.min(KEYS, start + BATCH); i++) items.push({ key: key(i), value: VALUE });
      stored += (await store.putMany(items)).filter((r) => r.stored).length;
    }
    return stored;
  });
  await time("list keys (ListKeys)", async () => {
    let n = 0;
    for await (const _ of store.keys({ prefix: "k" })) n++;
    return n;
  });
  await time("list keys and values (ListValues)", async () => {
    let n = 0;
    for await (const _ of store.values({ prefix: "k" })) n++;
    return n;
  });
}

console.log(`${KEYS} keys, ${VALUE.length}-byte text values, ${ROUNDS} round(s); keys per second`);
console.log("| operation | median | range |");
console.log("|---|---:|---:|");
for (const [what, xs] of rates)
  console.log(
    `| ${what} | ${Math.round(median(xs))} | ${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} |`,
  );
