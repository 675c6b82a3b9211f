/**
 * The TTL sweep with the expiry index against the old full scan, on LevelDB
 * in-process (no server: the sweep is store work). `keys` records are written,
 * `due` of them with a TTL; a manual clock decides what is due. Measured:
 * a sweep when nothing is due (the sweeper's every tick), and sweeps that
 * remove the due keys, by index and by scan (the due keys are written again
 * between the two).
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/expiry-sweep.js [keys] [due]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLevelBackend } from "../src/backend/leveldb-backend.js";
import { Store, type StoreOp } from "../src/store/store.js";

const KEYS = Number(process.argv[2] ?? 1_000_000);
const DUE = Number(process.argv[3] ?? KEYS / 2);
const dir = mkdtempSync(join(tmpdir(), "anykv-bench-ttl-"));
let now = 1_700_000_000_000;
const store = new Store(await openLevelBackend({ location: join(dir, "data") }), {
  sweepIntervalMs: 0,
  now: () => now,
});
const input = {
  value: new Uint8Array(32).fill(120),
  codec: "text",
  kind: "text",
  model: "",
  contentType: "",
};
const key = (i: number) => `k/${String(i).padStart(8, "0")}`;

async function fill(from: number, to: number, ttlFor: (i: number) => number) {
  for (let start = from; start < to; start += 10_000) {
    const ops: StoreOp[] = [];
    for (let i = start; i < Math.min(to, start + 10_000); i++)
      ops.push({ type: "put", key: key(i), input, ttlMs: ttlFor(i) });
    await store.write("bench", ops);
  }
}

async function timed(label: string, sweep: () => Promise<number>) {
  const t = performance.now();
  const removed = await sweep();
  const ms = performance.now() - t;
  const rate = removed > 0 ? `, ${Math.round(removed / (ms / 1000))} keys/s` : "";
  console.log(`${label}: removed ${removed} in ${(ms / 1000).toFixed(2)} s${rate}`);
  return ms;
}

try {
  let t = performance.now();
  // Keys [0, DUE) get a TTL of 1 s; the others never expire.
  await fill(0, KEYS, (i) => (i < DUE ? 1000 : 0));
  console.log(`filled ${KEYS} keys (${DUE} with a TTL) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await timed("nothing due, full scan (old sweeper, every tick)", () => store.sweepExpired({ scan: true }));
  await timed("nothing due, expiry index (new sweeper, every tick)", () => store.sweepExpired());
  now += 2000;
  await timed(`${DUE} due, expiry index`, () => store.sweepExpired());
  t = performance.now();
  await fill(0, DUE, () => 1000);
  console.log(`wrote the ${DUE} TTL keys again in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  now += 2000;
  await timed(`${DUE} due, full scan`, () => store.sweepExpired({ scan: true }));
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
