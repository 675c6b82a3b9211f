import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { spawnServer } from "../support/cli-process.js";
import { transportFor } from "../support/protocols.js";
import { startTestServer, type TestServer } from "../support/server.js";

// GET /metrics of real servers, read over HTTP after calls through a grpc-js peer (the gRPC fast
// path) and connect-es clients (connect's adapter).
let server: TestServer;
let peer: grpc.Client & Record<string, (req: object, cb: (err: grpc.ServiceError | null) => void) => void>;

beforeAll(async () => {
  server = await startTestServer({ backend: "memory" });
  const definition = protoLoader.loadSync(join(import.meta.dirname, "../../proto/anykv/v1/store.proto"), {
    includeDirs: [join(import.meta.dirname, "../../proto")],
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    anykv: { v1: { StoreService: new (address: string, creds: grpc.ChannelCredentials) => typeof peer } };
  };
  peer = new pkg.anykv.v1.StoreService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
});
afterAll(() => peer?.close());

const peerCall = (method: string, req: object) =>
  new Promise<grpc.ServiceError | null>((resolve) => peer[method]!.call(peer, req, (err) => resolve(err)));

async function scrape(url = server.metricsUrl, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** A sample's value in Prometheus text ("name{labels} value"); 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const PUT_OK = 'anykv_requests_total{method="anykv.v1.StoreService/Put",code="OK"}';
const GET_NOT_FOUND = 'anykv_requests_total{method="anykv.v1.StoreService/Get",code="NOT_FOUND"}';

describe("GET /metrics", () => {
  it("serves Prometheus text on the main port, with the process's metrics", async () => {
    expect(server.metricsUrl).toBe(`${server.url}/metrics`);
    const text = await scrape();
    expect(text).toContain("# TYPE anykv_requests_total counter");
    expect(text).toContain("# TYPE anykv_request_duration_seconds histogram");
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it("counts calls of the gRPC fast path (grpc-js) and of connect by method and code", async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++)
      expect(await peerCall("Put", { key: `m${i}`, value: { text: "v" } })).toBeNull();
    const client = createClient(StoreService, transportFor(server.url, "connect"));
    await expect(client.get({ key: "absent" })).rejects.toThrow(/does not exist/);
    await client.put({ key: "m-connect", value: { kind: { case: "text", value: "v" } } });
    const after = await scrape();
    expect(sample(after, PUT_OK) - sample(before, PUT_OK)).toBe(4);
    expect(sample(after, GET_NOT_FOUND) - sample(before, GET_NOT_FOUND)).toBe(1);
    const count = 'anykv_request_duration_seconds_count{method="anykv.v1.StoreService/Put"}';
    expect(sample(after, count) - sample(before, count)).toBe(4);
    const bytes = 'anykv_request_bytes_total{method="anykv.v1.StoreService/Put"}';
    expect(sample(after, bytes)).toBeGreaterThan(sample(before, bytes));
  });

  it("adds no series for paths and HTTP methods that clients invent", async () => {
    const before = await scrape();
    for (const path of ["/made.up.Service/One", "/made/up/two"]) {
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/proto" },
      });
      expect(res.status).toBe(404);
    }
    await fetch(`${server.url}/anystore/doc`, { method: "MKCOL" });
    const after = await scrape();
    expect(after).not.toMatch(/made/);
    expect(after).not.toMatch(/MKCOL/);
    const unknown = 'anykv_requests_total{method="unknown",code="UNIMPLEMENTED"}';
    expect(sample(after, unknown) - sample(before, unknown)).toBe(2);
    expect(after).toMatch(/^anykv_requests_total\{method="OTHER \/anystore",code="[A-Z_]+"\} 1$/m);
  });

  it("shows open streams and calls in flight while a Watch is open", async () => {
    const client = createClient(StoreService, transportFor(server.url, "grpc"));
    const abort = new AbortController();
    const it = client.watch({ prefix: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value?.created).toBe(true);
    const open = await scrape();
    expect(sample(open, 'anykv_streams_open{method="anykv.v1.StoreService/Watch"}')).toBe(1);
    expect(sample(open, "anykv_requests_in_flight")).toBeGreaterThanOrEqual(1);
    expect(sample(open, "anykv_watchers")).toBe(1);
    abort.abort();
    await it.next().catch(() => undefined);
    let closed = open;
    for (let i = 0; i < 50 && sample(closed, "anykv_watchers") > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      closed = await scrape();
    }
    expect(sample(closed, 'anykv_streams_open{method="anykv.v1.StoreService/Watch"}')).toBe(0);
    expect(
      sample(closed, 'anykv_requests_total{method="anykv.v1.StoreService/Watch",code="CANCELLED"}'),
    ).toBe(1);
  });

  it("counts sweeps and the keys they expire", async () => {
    const client = createClient(StoreService, transportFor(server.url, "connect"));
    const before = await scrape();
    await client.put({
      key: "short-lived",
      value: { kind: { case: "text", value: "v" } },
      ttl: { nanos: 50_000_000 },
    });
    let after = before;
    for (
      let i = 0;
      i < 60 && sample(after, "anykv_expired_keys_total") === sample(before, "anykv_expired_keys_total");
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      after = await scrape();
    }
    expect(sample(after, "anykv_expired_keys_total") - sample(before, "anykv_expired_keys_total")).toBe(1);
    expect(sample(after, "anykv_sweeps_total")).toBeGreaterThan(0);
  });

  it("answers only who the access check lets in (the hook --auth-file fills)", async () => {
    const guarded = await startTestServer({
      backend: "memory",
      metricsAccess: (headers) =>
        headers.authorization === "Bearer admin"
          ? "allowed"
          : headers.authorization
            ? "forbidden"
            : "unauthenticated",
    });
    expect((await fetch(guarded.metricsUrl)).status).toBe(401);
    expect((await fetch(guarded.metricsUrl, { headers: { authorization: "Bearer reader" } })).status).toBe(
      403,
    );
    expect(await scrape(guarded.metricsUrl, { authorization: "Bearer admin" })).toContain(
      "anykv_requests_total",
    );
  });
});

describe("--metrics-listen", () => {
  it("serves /metrics on a listener of its own, and not on the main port", async () => {
    const proc = await spawnServer(["--backend", "memory", "--metrics-listen", "127.0.0.1:0"]);
    try {
      const listening = JSON.parse(
        proc
          .output()
          .split("\n")
          .find((l) => l.includes("listening on"))!,
      ) as {
        metrics: string;
      };
      const url = listening.metrics;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new URL(url).port).not.toBe(new URL(proc.url).port);
      const client = createClient(StoreService, transportFor(proc.url, "grpc"));
      await client.put({ key: "k", value: { kind: { case: "text", value: "v" } } });
      expect(sample(await scrape(url), PUT_OK)).toBe(1);
      expect((await fetch(`${proc.url}/metrics`)).status).toBe(404);
      expect((await fetch(new URL("/other", url))).status).toBe(404);
    } finally {
      await proc.stop();
    }
  });
});
