/**
 * Server CPU per unary call, side by side in one run: each server of
 * bench/request-path/server.ts runs in its own process and ghz drives it
 * (one connection, concurrency C, D seconds); CPU is the server's utime+stime
 * from /proc/PID/stat over the run, divided by the calls answered OK.
 *
 *   node dist/bench/request-path/run.js [rounds=3] [seconds=5] [concurrency=64] [servers,...] [calls,...]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const concurrency = Number(process.argv[4] ?? 64);
const servers = (process.argv[5] ?? "grpc-js-noop,connect-noop,anykv").split(",");
const calls = (process.argv[6] ?? "Get,Put").split(",");
const ghz = process.env.GHZ ?? "ghz";
const root = new URL("../../../", import.meta.url).pathname;
const protoset = join(mkdtempSync(join(tmpdir(), "request-path-")), "anykv.binpb");
execFileSync("npx", ["buf", "build", "proto", "-o", protoset], { cwd: root, stdio: "inherit" });

const value = "x".repeat(100);
const data: Record<string, string> = {
  Get: JSON.stringify({ key: "bench/k" }),
  Put: JSON.stringify({ key: "bench/k", value: { text: value } }),
};
const ticks = Number(execFileSync("getconf", ["CLK_TCK"]).toString());

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 (1-based) of the whole line.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
}

async function start(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.SERVER_NODE_FLAGS ?? "").split(" ").filter(Boolean),
      join(root, "dist/bench/request-path/server.js"),
      kind,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once("line", (line) => resolve(Number(line)));
    child.once("exit", (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return { child, port };
}

interface Result {
  ok: number;
  rps: number;
  p50: number;
  p99: number;
}

function drive(port: number, call: string, duration: string): Result {
  const out = execFileSync(
    ghz,
    [
      "--insecure",
      "--protoset",
      protoset,
      "--call",
      `anykv.v1.StoreService/${call}`,
      "-d",
      data[call]!,
      "-c",
      String(concurrency),
      "--connections",
      "1",
      "-z",
      duration,
      "--format",
      "json",
      `127.0.0.1:${port}`,
    ],
    { maxBuffer: 1 << 28 },
  ).toString();
  const report = JSON.parse(out) as {
    rps: number;
    statusCodeDistribution?: Record<string, number>;
    latencyDistribution?: { percentage: number; latency: number }[];
  };
  const pct = (p: number) =>
    (report.latencyDistribution?.find((l) => l.percentage === p)?.latency ?? 0) / 1e6;
  return { ok: report.statusCodeDistribution?.OK ?? 0, rps: report.rps, p50: pct(50), p99: pct(99) };
}

const rows: string[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const kind of servers) {
    const { child, port } = await start(kind);
    for (const call of calls) {
      drive(port, "Put", "1s"); // warm-up; also creates the key that Get reads
      const before = cpuMs(child.pid!);
      const r = drive(port, call, `${seconds}s`);
      const cpu = cpuMs(child.pid!) - before;
      const row = `${round}\t${kind}\t${call}\t${r.rps.toFixed(0)}\t${(cpu / r.ok).toFixed(4)}\t${r.p50.toFixed(1)}\t${r.p99.toFixed(1)}\t${r.ok}`;
      rows.push(row);
      console.log(row);
    }
    child.kill();
  }
}
console.log("\nround\tserver\tcall\treq/s\tCPU ms/req\tp50 ms\tp99 ms\tOK");
for (const row of rows) console.log(row);
