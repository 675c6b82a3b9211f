import type { Code } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { createCallMetrics } from "./call-metrics.js";

/** The content type of Prometheus's text format (what registry.metrics() writes). */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** What the server counts, and the text GET /metrics answers. */
export interface Metrics {
  /** A call started (in flight until callEnded; a stream is also open until then). */
  callStarted(streaming: boolean, method: string): void;
  /** A call ended with `code` after `seconds`, having read and written so many bytes. */
  callEnded(
    streaming: boolean,
    method: string,
    code: Code | 0,
    seconds: number,
    bytesIn: number,
    bytesOut: number,
  ): void;
  /** A sweep removed `expired` keys. */
  swept(expired: number): void;
  /** A background task (sweep, recovery, watch feed, …) failed; it is retried. */
  taskFailed(task: string): void;
  /** A backend operation failed (the engine is down, an I/O error, …). */
  backendError(operation: string): void;
  /** Reads gauges known only on request (keys and bytes stored, watchers) at each scrape. */
  gauge(name: string, help: string, read: () => number | undefined | Promise<number | undefined>): void;
  /** The Prometheus text of this server's metrics and the process's. */
  text(): Promise<string>;
}

/**
 * anykv's metrics in a registry of their own (several servers may run in one process, as in
 * the tests), plus the process's (prom-client's default metrics, registered once per process).
 * The per-call metrics are plain counts turned into series at scrape time (call-metrics.ts);
 * the rare events (sweeps, failures) use prom-client's counters.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const calls = createCallMetrics();
  for (const metric of calls.metrics()) registry.registerMetric(metric as never);
  const sweeps = new Counter({ name: "anykv_sweeps_total", help: "Expiry sweeps that finished", registers });
  const expired = new Counter({
    name: "anykv_expired_keys_total",
    help: "Keys removed by the expiry sweeper",
    registers,
  });
  const failures = new Counter({
    name: "anykv_background_failures_total",
    help: "Failed runs of background tasks (each is retried with backoff), by task",
    labelNames: ["task"],
    registers,
  });
  const backendErrors = new Counter({
    name: "anykv_backend_errors_total",
    help: "Backend operations that failed, by operation",
    labelNames: ["operation"],
    registers,
  });
  const process = processRegistry();
  return {
    callStarted: calls.started,
    callEnded: calls.ended,
    swept(count) {
      sweeps.inc();
      if (count > 0) expired.inc(count);
    },
    taskFailed(task) {
      failures.inc({ task });
    },
    backendError(operation) {
      backendErrors.inc({ operation });
    },
    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const value = await read();
          if (value === undefined) this.reset();
          else this.set(value);
        },
      });
    },
    async text() {
      return (await registry.metrics()) + (await process.metrics());
    },
  };
}

let shared: Registry | undefined;

/** Process metrics (CPU, memory, event loop lag, GC, handles): one set per process, however many servers. */
function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
