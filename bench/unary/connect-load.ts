/**
 * The Node load generator of bench/unary, for the protocols ghz does not
 * speak: Connect (binary and JSON) and gRPC-Web over HTTP/1.1 and h2c, and
 * gRPC for comparison, through @connectrpc/connect-node's transports. Run as
 * a child process (so its CPU is not the server's):
 *
 *   node dist/bench/unary/connect-load.js '{"url":…,"protocol":"connect","format":"binary",
 *     "http":"1.1","op":"get","concurrency":64,"seconds":5,"keys":1000,"valueBytes":100}'
 *
 * Prints one JSON line: a LoadResult (ghz.ts).
 */
import { createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import type { LoadResult } from "./ghz.js";

export interface NodeLoadOptions {
  readonly url: string;
  readonly protocol: "connect" | "grpc" | "grpc-web";
  readonly format: "binary" | "json";
  readonly http: "1.1" | "2";
  readonly op: "get" | "put";
  readonly concurrency: number;
  readonly seconds: number;
  readonly keys: number;
  readonly valueBytes: number;
}

function transport(o: NodeLoadOptions): Transport {
  const useBinaryFormat = o.format === "binary";
  switch (o.protocol) {
    case "connect":
      return createConnectTransport({ baseUrl: o.url, httpVersion: o.http, useBinaryFormat });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl: o.url, httpVersion: o.http, useBinaryFormat });
    case "grpc":
      return createGrpcTransport({ baseUrl: o.url, useBinaryFormat });
  }
}

async function load(o: NodeLoadOptions): Promise<LoadResult> {
  const client = createClient(StoreService, transport(o));
  const text = "x".repeat(o.valueBytes);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let firstError: string | undefined;
  let n = 0;
  const start = performance.now();
  const end = start + o.seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const key = `k/${n++ % o.keys}`;
      const t = performance.now();
      try {
        if (o.op === "put") await client.put({ key, value: { kind: { case: "text", value: text } } });
        else await client.get({ key });
        latencies.push(performance.now() - t);
      } catch (err) {
        const name =
          (err as { code?: unknown }).code === undefined ? "error" : String((err as { code: unknown }).code);
        errors[name] = (errors[name] ?? 0) + 1;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? Number.NaN;
  return { ok: latencies.length, errors, firstError, seconds, p50Ms: at(50), p99Ms: at(99) };
}

const options = JSON.parse(process.argv[2] ?? "{}") as NodeLoadOptions;
console.log(JSON.stringify(await load(options)));
process.exit(0);
