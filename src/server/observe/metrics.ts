import type { Code } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { codeName } from "./code-names.js";

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

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A method's labelled children, made once (prom-client validates and hashes labels in labels()). */
interface MethodChildren {
  readonly duration: { observe(value: number): void };
  readonly bytesIn: { inc(value: number): void };
  readonly bytesOut: { inc(value: number): void };
  readonly byCode: Map<Code | 0, { inc(): void }>;
}

/**
 * anykv's metrics in a registry of their own (several servers may run in one process, as in
 * the tests), plus the process's (prom-client's default metrics, registered once per process).
 * Calls in flight and open streams are plain counts read at scrape time: the calls themselves
 * only add and subtract.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  let inFlight = 0;
  const open = new Map<string, number>();
  const requests = new Counter({
    name: "anykv_requests_total",
    help: "RPCs (and anystore HTTP API requests) answered, by method and gRPC code",
    labelNames: ["method", "code"],
    registers,
  });
  const duration = new Histogram({
    name: "anykv_request_duration_seconds",
    help: "Time from a call's start to its answer (for streams: to the stream's end), by method",
    labelNames: ["method"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const bytesIn = new Counter({
    name: "anykv_request_bytes_total",
    help: "Bytes of request bodies read (after the HTTP framing, before decompression), by method",
    labelNames: ["method"],
    registers,
  });
  const bytesOut = new Counter({
    name: "anykv_response_bytes_total",
    help: "Bytes of response bodies written, by method",
    labelNames: ["method"],
    registers,
  });
  new Gauge({
    name: "anykv_requests_in_flight",
    help: "Calls started and not yet answered (streams included)",
    registers,
    collect() {
      this.set(inFlight);
    },
  });
  new Gauge({
    name: "anykv_streams_open",
    help: "Streaming calls open (Watch, listings, Upload, Download, …), by method",
    labelNames: ["method"],
    registers,
    collect() {
      this.reset();
      for (const [method, count] of open) this.set({ method }, count);
    },
  });
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
  const methods = new Map<string, MethodChildren>();
  const children = (method: string): MethodChildren => {
    let c = methods.get(method);
    if (!c) {
      c = {
        duration: duration.labels(method),
        bytesIn: bytesIn.labels(method),
        bytesOut: bytesOut.labels(method),
        byCode: new Map(),
      };
      methods.set(method, c);
    }
    return c;
  };
  const process = processRegistry();
  return {
    callStarted(streaming, method) {
      inFlight++;
      if (streaming) open.set(method, (open.get(method) ?? 0) + 1);
    },
    callEnded(streaming, method, code, seconds, read, written) {
      inFlight--;
      if (streaming) open.set(method, (open.get(method) ?? 1) - 1);
      const c = children(method);
      let counter = c.byCode.get(code);
      if (!counter) {
        counter = requests.labels(method, codeName(code));
        c.byCode.set(code, counter);
      }
      counter.inc();
      c.duration.observe(seconds);
      if (read > 0) c.bytesIn.inc(read);
      if (written > 0) c.bytesOut.inc(written);
    },
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
