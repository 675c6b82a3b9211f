import type { Code } from "@connectrpc/connect";
import { codeName } from "./code-names.js";

/** Upper bounds of the latency histogram's buckets, in seconds. */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

/** What one method's calls added up to. */
interface MethodStats {
  readonly codes: Map<Code | 0, number>;
  /** Calls per bucket (not cumulative); the last one is +Inf. */
  readonly buckets: Float64Array;
  seconds: number;
  count: number;
  bytesIn: number;
  bytesOut: number;
  /** Streams of this method open now; undefined for unary methods. */
  open: number | undefined;
}

/** One sample: `metricName` (when not the metric's own name), labels and value. */
interface Sample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric as prom-client's registry reads it (registerMetric): its values are made at each scrape. */
export interface CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly aggregator: "sum";
  get(): Promise<{ name: string; help: string; type: string; aggregator: "sum"; values: Sample[] }>;
  reset(): void;
}

/**
 * The per-call metrics as plain numbers, turned into Prometheus series only when scraped: a call
 * costs a few additions and map lookups (prom-client's own counters and histograms hash their
 * labels on every update, several microseconds per call).
 */
export function createCallMetrics() {
  const methods = new Map<string, MethodStats>();
  let inFlight = 0;
  const stats = (method: string): MethodStats => {
    let s = methods.get(method);
    if (!s) {
      s = {
        codes: new Map(),
        buckets: new Float64Array(DURATION_BUCKETS.length + 1),
        seconds: 0,
        count: 0,
        bytesIn: 0,
        bytesOut: 0,
        open: undefined,
      };
      methods.set(method, s);
    }
    return s;
  };
  const metric = (
    name: string,
    help: string,
    type: CollectedMetric["type"],
    values: () => Sample[],
  ): CollectedMetric => ({
    name,
    help,
    type,
    aggregator: "sum",
    get: async () => ({ name, help, type, aggregator: "sum", values: values() }),
    reset() {},
  });
  const perMethod = (read: (s: MethodStats) => number) => () =>
    [...methods].map(([method, s]) => ({ labels: { method }, value: read(s) }));
  return {
    started(streaming: boolean, method: string): void {
      inFlight++;
      if (streaming) {
        const s = stats(method);
        s.open = (s.open ?? 0) + 1;
      }
    },
    ended(
      streaming: boolean,
      method: string,
      code: Code | 0,
      seconds: number,
      read: number,
      written: number,
    ): void {
      inFlight--;
      const s = stats(method);
      if (streaming) s.open = (s.open ?? 1) - 1;
      // Codes beyond gRPC's (a peer's trailer could say anything) count as UNKNOWN, one series.
      const known = code >= 0 && code <= 16 ? code : 2;
      s.codes.set(known, (s.codes.get(known) ?? 0) + 1);
      let i = 0;
      while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i++;
      s.buckets[i] = (s.buckets[i] as number) + 1;
      s.seconds += seconds;
      s.count++;
      s.bytesIn += read;
      s.bytesOut += written;
    },
    metrics(): CollectedMetric[] {
      return [
        metric(
          "anykv_requests_total",
          "Calls answered (the anystore HTTP API's too), by method and gRPC code",
          "counter",
          () =>
            [...methods].flatMap(([method, s]) =>
              [...s.codes].map(([code, value]) => ({ labels: { method, code: codeName(code) }, value })),
            ),
        ),
        metric(
          "anykv_request_duration_seconds",
          "Time from a call's start to its answer (for streams: to the stream's end), by method",
          "histogram",
          () => [...methods].flatMap(([method, s]) => histogram("anykv_request_duration_seconds", method, s)),
        ),
        metric(
          "anykv_request_bytes_total",
          "Bytes of request bodies read (framing included, HTTP headers not), by method",
          "counter",
          perMethod((s) => s.bytesIn),
        ),
        metric(
          "anykv_response_bytes_total",
          "Bytes of response bodies written, by method",
          "counter",
          perMethod((s) => s.bytesOut),
        ),
        metric(
          "anykv_requests_in_flight",
          "Calls started and not yet answered (streams included)",
          "gauge",
          () => [{ labels: {}, value: inFlight }],
        ),
        metric(
          "anykv_streams_open",
          "Streaming calls open (Watch, listings, Upload, Download, …), by method",
          "gauge",
          () =>
            [...methods].flatMap(([method, s]) =>
              s.open === undefined ? [] : [{ labels: { method }, value: s.open }],
            ),
        ),
      ];
    },
  };
}

/** The _bucket (cumulative), _sum and _count series of one method. */
function histogram(name: string, method: string, s: MethodStats): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i <= DURATION_BUCKETS.length; i++) {
    cumulative += s.buckets[i] as number;
    const le = i < DURATION_BUCKETS.length ? String(DURATION_BUCKETS[i]) : "+Inf";
    out.push({ metricName: `${name}_bucket`, labels: { method, le }, value: cumulative });
  }
  out.push({ metricName: `${name}_sum`, labels: { method }, value: s.seconds });
  out.push({ metricName: `${name}_count`, labels: { method }, value: s.count });
  return out;
}
