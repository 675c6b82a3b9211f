import type { LoadResult } from "./ghz.js";

/** One measured run: a server (or anykv over one protocol), an operation and a concurrency, in a round. */
export interface Sample extends LoadResult {
  readonly round: number;
  readonly op: string;
  readonly concurrency: number;
  readonly server: string;
  /** The server process's CPU time over the run. */
  readonly cpuMs: number;
}

export interface Report {
  readonly started: Date;
  readonly seconds: number;
  /** Seconds of Puts then Gets at 64 in flight each server got before the rounds. */
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly anykvArgs: readonly string[];
  readonly nodeConcurrency: number;
  readonly machine: readonly string[];
}

interface Point {
  readonly rps: number;
  readonly rpsMin: number;
  readonly rpsMax: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU ms per OK call. */
  readonly cpu: number;
  readonly errors: number;
}

const OP_TITLES: Record<string, string> = {
  put: "Put (etcd: KV/Put)",
  get: "Get (etcd: KV/Range)",
  mix: "90/10 Get/Put mix (a tenth of the clients put; latencies are the Gets')",
};

/** The markdown of a run: one table per operation (medians over rounds, ratios to etcd and to grpc-js). */
export function report(header: Report, samples: readonly Sample[]): string {
  const lines: string[] = [];
  lines.push(`# bench/unary, ${header.started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  for (const line of header.machine) lines.push(`- ${line}`);
  lines.push(
    `- ${header.seconds} s per run, ${header.rounds} interleaved round(s) after ${header.warmupSeconds} s of warm-up per server; ${header.valueBytes}-byte values over ${header.keys} keys; ` +
      `\`anykv serve\` ${header.anykvArgs.length ? header.anykvArgs.join(" ") : "with its defaults"}`,
    "- req/s: OK calls per second, median of the rounds [lowest – highest]; p50/p99 and server CPU per call " +
      "(utime + stime of the server process from /proc/PID/stat over the run, divided by the OK calls): medians",
    "",
  );
  const ghzSamples = samples.filter((s) => !s.server.startsWith("anykv "));
  for (const op of ["put", "get", "mix"]) {
    const ofOp = ghzSamples.filter((s) => s.op === op);
    if (ofOp.length === 0) continue;
    lines.push(`## ${OP_TITLES[op]}, ghz (gRPC, one connection)`, "");
    lines.push(
      "| in flight | server | req/s | p50 ms | p99 ms | CPU ms/call | req/s ÷ etcd | CPU ÷ etcd | p99 ÷ etcd | CPU ÷ grpc-js |",
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const concurrency of unique(ofOp.map((s) => s.concurrency))) {
      const points = new Map<string, Point>();
      for (const server of unique(ofOp.map((s) => s.server)))
        points.set(server, point(ofOp.filter((s) => s.server === server && s.concurrency === concurrency)));
      const etcd = points.get("etcd");
      const grpcJs = points.get("grpc-js");
      for (const [server, p] of points) {
        lines.push(
          `| ${concurrency} | ${server} | ${rate(p)} | ${p.p50.toFixed(1)} | ${p.p99.toFixed(1)} | ${p.cpu.toFixed(3)} | ` +
            `${ratio(p.rps, etcd?.rps)} | ${ratio(p.cpu, etcd?.cpu)} | ${ratio(p.p99, etcd?.p99)} | ${ratio(p.cpu, grpcJs?.cpu)} |`,
        );
      }
    }
    lines.push("");
  }
  const nodeSamples = samples.filter((s) => s.server.startsWith("anykv "));
  if (nodeSamples.length > 0) {
    lines.push(
      `## anykv over every protocol: Node load generator (@connectrpc/connect-node transports), ${header.nodeConcurrency} in flight`,
      "",
      "| protocol | call | req/s | p50 ms | p99 ms | CPU ms/call | CPU ÷ gRPC (same generator) |",
      "|---|---|---:|---:|---:|---:|---:|",
    );
    for (const op of ["put", "get"]) {
      const ofOp = nodeSamples.filter((s) => s.op === op);
      const points = new Map<string, Point>();
      for (const server of unique(ofOp.map((s) => s.server)))
        points.set(server, point(ofOp.filter((s) => s.server === server)));
      const grpc = points.get("anykv grpc+binary/2");
      for (const [server, p] of points)
        lines.push(
          `| ${server.slice("anykv ".length)} | ${op} | ${rate(p)} | ${p.p50.toFixed(1)} | ${p.p99.toFixed(1)} | ${p.cpu.toFixed(3)} | ${ratio(p.cpu, grpc?.cpu)} |`,
        );
    }
    lines.push("");
  }
  const failed = samples.filter((s) => Object.keys(s.errors).length > 0);
  if (failed.length > 0) {
    lines.push("## Failed calls", "");
    for (const s of failed)
      lines.push(
        `- round ${s.round + 1}, ${s.server} ${s.op} c=${s.concurrency}: ${JSON.stringify(s.errors)} (${s.firstError ?? "?"})`,
      );
    lines.push("");
  }
  return lines.join("\n");
}

function point(samples: readonly Sample[]): Point {
  const rps = samples.map((s) => s.ok / s.seconds);
  return {
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: median(samples.map((s) => s.p50Ms)),
    p99: median(samples.map((s) => s.p99Ms)),
    cpu: median(samples.map((s) => s.cpuMs / Math.max(1, s.ok))),
    errors: samples.reduce((n, s) => n + Object.values(s.errors).reduce((a, b) => a + b, 0), 0),
  };
}

function rate(p: Point): string {
  const range = p.rpsMin === p.rpsMax ? "" : ` [${fmt(p.rpsMin)} – ${fmt(p.rpsMax)}]`;
  return `${fmt(p.rps)}${range}${p.errors ? ` (${p.errors} failed)` : ""}`;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function ratio(a: number, b: number | undefined): string {
  return b === undefined || !(b > 0) || !Number.isFinite(a) ? "—" : (a / b).toFixed(2);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
