/**
 * What reporting one call costs the server: the metrics (counts per method and code, the latency
 * histogram, bytes) and the access line at info, measured apart from everything else a call does:
 * with the server's own logger (createLogger, whose lines lineWriter builds) and with a plain pino
 * logger such as a library user may pass to startServer (pino's serializer).
 * Each variant runs the same begin/end pair 200,000 times in batches of 100 (BENCH_BATCH; a batch
 * per turn of the event loop, as calls arrive), five rounds, and reports the CPU time
 * (process.cpuUsage) per call, the write of each turn's lines included: the median round, and the
 * range.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/access-log-cost.js > /dev/null
 *
 * Lines go to stdout (redirect it: to /dev/null, a file or a pipe); figures go to stderr.
 */
import pino from "pino";
import { type CallLog, createCallLog } from "../src/server/observe/call-log.js";
import { createLogger, stdoutLines } from "../src/server/observe/logger.js";
import { createMetrics } from "../src/server/observe/metrics.js";

const CALLS = 200_000;
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const ROUNDS = 5;
const peer = { remoteAddress: "127.0.0.1", remotePort: 54321 };

async function microsPerCall(log: CallLog): Promise<number> {
  let cpu = 0;
  for (let b = 0; b < CALLS / BATCH; b++) {
    const start = process.cpuUsage();
    for (let i = 0; i < BATCH; i++) {
      const call = log.begin("anykv.v1.StoreService/Get", "grpc", false);
      call.namespace = "bench";
      call.bytesIn = 40;
      call.bytesOut = 160;
      log.end(call, i % 10 === 0 ? 5 : 0, peer);
    }
    // The lines of a turn are written at its end (logger.ts): that write is part of the cost.
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.cpuUsage(start);
    cpu += used.user + used.system;
  }
  return cpu / CALLS;
}

const variants: Record<string, () => CallLog> = {
  "nothing (no metrics, log silent)": () => createCallLog(pino({ level: "silent" }), undefined),
  "metrics, log silent": () => createCallLog(pino({ level: "silent" }), createMetrics()),
  // The server's own logger (createLogger): its lines are built by lineWriter, not pino.
  "metrics + access line at info (stdout), as served": () =>
    createCallLog(createLogger({ level: "info", pretty: false }), createMetrics()),
  // A logger a library user hands to startServer goes through pino's serializer.
  "metrics + access line at info (stdout), a user's pino logger": () =>
    createCallLog(pino({ level: "info", base: { pid: process.pid } }, stdoutLines()), createMetrics()),
};
const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of Object.entries(variants)) {
    const runs = results.get(name) ?? [];
    runs.push(await microsPerCall(make()));
    results.set(name, runs);
  }
}
for (const [name, runs] of results) {
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)] as number;
  process.stderr.write(
    `${name}: ${median.toFixed(2)} µs CPU per call (median of ${ROUNDS}; ${runs[0]?.toFixed(2)}–${runs.at(-1)?.toFixed(2)})\n`,
  );
}
