/**
 * What one commit costs the process in CPU, not in time: a LevelDB batch with and without sync,
 * beside the waits it is made of (a turn of the event loop, a sleep, a write and an fsync in
 * libuv's thread pool, an fsync on the main thread). Steps run one after another, so each pays
 * its thread's sleep and wake-up; on a small VM that wake-up is itself tens of µs of CPU, which
 * is why a commit of one write (a hot key: one write per group) costs far more CPU than its
 * share of a group of fifteen. Main = the main thread (its run time in /proc/thread-self/schedstat,
 * in ns: Node 20 has no process.threadCpuUsage); all = every thread (process.cpuUsage), per step.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/commit-cost.js [steps=2000]
 */
import { fsync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, write, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Level } from "level";

const STEPS = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), "anykv-bench-commit-cost-"));
const fd = openSync(join(dir, "file"), "w");
const db = new Level<string, Uint8Array>(join(dir, "db"), { valueEncoding: "view" });
await db.open();
const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);
const bytes = Buffer.alloc(200);
let n = 0;
/** CPU time of the calling thread (the main thread here) in µs, from the scheduler's own clock. */
const threadCpuUs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1000;
const batch = (sync: boolean) => db.batch().put("hot", bytes).put(`log/${n++}`, bytes).write({ sync });

const steps: Array<[string, () => Promise<unknown>]> = [
  ["a turn of the event loop (setImmediate)", () => new Promise((r) => setImmediate(r))],
  ["a 1 ms sleep (setTimeout)", () => new Promise((r) => setTimeout(r, 1))],
  ["write 200 B, thread pool", () => writeAsync(fd, bytes)],
  ["write 200 B + fsync, thread pool", () => writeAsync(fd, bytes).then(() => fsyncAsync(fd))],
  [
    "write 200 B + fsync, main thread",
    async () => {
      writeSync(fd, bytes);
      fsyncSync(fd);
    },
  ],
  ["LevelDB batch of 2 puts, sync: false", () => batch(false)],
  ["LevelDB batch of 2 puts, sync: true", () => batch(true)],
];

console.log(
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}, Node ${process.version}, ${STEPS} steps each\n`,
);
console.log(
  "| one step, in turn | main thread CPU µs | all threads CPU µs | wall µs |\n|---|---:|---:|---:|",
);
for (const [name, step] of steps) {
  for (let i = 0; i < 100; i++) await step(); // warm
  const thread = threadCpuUs();
  const all = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < STEPS; i++) await step();
  const main = (threadCpuUs() - thread) / STEPS;
  const a = process.cpuUsage(all);
  const wall = ((performance.now() - start) * 1000) / STEPS;
  const us = (u: NodeJS.CpuUsage) => ((u.user + u.system) / STEPS).toFixed(1);
  console.log(`| ${name} | ${main.toFixed(1)} | ${us(a)} | ${wall.toFixed(0)} |`);
}
await db.close();
rmSync(dir, { recursive: true, force: true });
