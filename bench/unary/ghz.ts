import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./processes.js";
import type { GhzCall, Target } from "./targets.js";

/** What one load run gave. */
export interface LoadResult {
  /** Calls answered OK. */
  readonly ok: number;
  /** Calls that failed, by status code (calls in flight when the run ends are not counted). */
  readonly errors: Readonly<Record<string, number>>;
  /** The first error message, to say why calls failed. */
  readonly firstError?: string | undefined;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface GhzReport {
  readonly total: number;
  readonly statusCodeDistribution?: Readonly<Record<string, number>>;
  readonly errorDistribution?: Readonly<Record<string, number>>;
  readonly latencyDistribution?: ReadonlyArray<{ readonly percentage: number; readonly latency: number }>;
}

export interface GhzRun {
  readonly target: Target;
  readonly call: GhzCall;
  readonly concurrency: number;
  /** A duration (seconds) or a number of requests. */
  readonly seconds?: number;
  readonly requests?: number;
}

/**
 * Runs ghz against a target over one connection (ghz's default) and reads its JSON report.
 * Calls still in flight when the duration ends are left out (--duration-stop ignore).
 */
export async function ghz(options: GhzRun): Promise<LoadResult> {
  const out = join(tmpdir(), `anykv-bench-ghz-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const amount =
    options.seconds !== undefined
      ? ["--duration", `${options.seconds}s`, "--duration-stop", "ignore"]
      : ["--total", String(options.requests ?? 1000)];
  try {
    await run("ghz", [
      "--insecure",
      ...options.target.protoArgs,
      "--call",
      options.call.method,
      "--data",
      options.call.data,
      "--concurrency",
      String(options.concurrency),
      ...amount,
      "--format",
      "json",
      "--output",
      out,
      options.target.address,
    ]);
    const report = JSON.parse(readFileSync(out, "utf8")) as GhzReport;
    const { OK: ok = 0, ...failed } = report.statusCodeDistribution ?? {};
    const latency = (p: number) =>
      (report.latencyDistribution?.find((l) => l.percentage === p)?.latency ?? Number.NaN) / 1e6;
    return {
      ok,
      errors: failed,
      firstError: Object.keys(report.errorDistribution ?? {})[0],
      seconds: report.total / 1e9,
      p50Ms: latency(50),
      p99Ms: latency(99),
    };
  } finally {
    rmSync(out, { force: true });
  }
}
