/**
 * What one fdatasync costs the process that calls it, on the disk the data lives on: a file that
 * grows with every write (as LevelDB's log does: each synced commit appends to it) against a file
 * whose blocks were written and synced beforehand (as etcd's WAL segments are preallocated). A
 * sync of an appended write also commits the file's new size and blocks to the filesystem's
 * journal; a sync of an in-place write does not. Each sync follows one write of `bytes` (a
 * group commit of about 22 Puts is 15 KB of LevelDB log). Synchronous calls on this thread, so
 * process.cpuUsage() counts the kernel's work for them (bench/README.md, twelfth pass).
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/fsync-cost.js [syncs=2000] [bytes=15000] [dir=.]
 *
 * `dir` should be on the disk that holds the server's --data (the default, ./data, is under the
 * current directory); /tmp may be a memory filesystem.
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { median } from "./support/stats.js";

const SYNCS = Number(process.argv[2] ?? 2000);
const BYTES = Number(process.argv[3] ?? 15_000);
const DIR = process.argv[4] ?? ".";
const ROUNDS = 3;

const dir = mkdtempSync(join(DIR, ".anykv-fsync-cost-"));
const chunk = Buffer.alloc(BYTES, "x");

function run(preallocated: boolean): { cpuUs: number; wallUs: number } {
  const path = join(dir, preallocated ? "preallocated" : "appended");
  const fd = openSync(path, "w+");
  try {
    if (preallocated) {
      for (let i = 0; i < SYNCS; i++) writeSync(fd, chunk, 0, BYTES, i * BYTES);
      fsyncSync(fd);
    }
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < SYNCS; i++) {
      writeSync(fd, chunk, 0, BYTES, i * BYTES);
      fdatasyncSync(fd);
    }
    const used = process.cpuUsage(cpu);
    return { cpuUs: (used.user + used.system) / SYNCS, wallUs: ((performance.now() - start) * 1000) / SYNCS };
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}

const results = { appended: [] as ReturnType<typeof run>[], preallocated: [] as ReturnType<typeof run>[] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const preallocated of [false, true]) {
      const r = run(preallocated);
      results[preallocated ? "preallocated" : "appended"].push(r);
      console.error(
        `round ${round + 1} ${preallocated ? "preallocated" : "appended"}: ${r.cpuUs.toFixed(1)} µs CPU, ${r.wallUs.toFixed(0)} µs per sync`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const cpu = (name: keyof typeof results) => median(results[name].map((r) => r.cpuUs));
const wall = (name: keyof typeof results) => median(results[name].map((r) => r.wallUs));
console.log(`${SYNCS} × (write ${BYTES} bytes + fdatasync) in ${DIR}, median of ${ROUNDS} rounds`);
console.log("| file | CPU µs per sync | wall µs per sync |\n|---|---:|---:|");
for (const name of ["appended", "preallocated"] as const)
  console.log(`| ${name} | ${cpu(name).toFixed(1)} | ${wall(name).toFixed(0)} |`);
console.log(
  `| appended ÷ preallocated | ${(cpu("appended") / cpu("preallocated")).toFixed(2)} | ${(wall("appended") / wall("preallocated")).toFixed(2)} |`,
);
