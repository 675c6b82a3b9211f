import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";
import { run } from "../support/tools.js";

// grpc-health-probe, for real: exit 0 when SERVING, 4 when NOT_SERVING, 3 when the RPC fails.
const probe = (server: RunningServer, ...args: string[]) =>
  run("grpc-health-probe", [
    "-addr",
    `127.0.0.1:${server.port}`,
    "-connect-timeout",
    "5s",
    "-rpc-timeout",
    "5s",
    ...args,
  ]);

describe("grpc.health.v1 with grpc-health-probe", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer();
  });

  it("reports the whole server and each service SERVING", async () => {
    for (const service of [
      [],
      ["-service", "anykv.v1.StoreService"],
      ["-service", "grpc.health.v1.Health"],
    ]) {
      const result = await probe(server, ...service);
      expect(`${result.stdout}${result.stderr}`.trim()).toBe("status: SERVING");
      expect(result.code).toBe(0);
    }
  });

  it("answers an unknown service NOT_FOUND", async () => {
    const result = await probe(server, "-service", "no.such.Service");
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("code = NotFound");
    expect(result.stderr).toContain('unknown service "no.such.Service"');
  });
});

describe("NOT_SERVING", () => {
  it("while the backend is unavailable", async () => {
    const server = await startTestServer({ backend: "memory" });
    expect((await probe(server)).code).toBe(0);
    await server.store.backend.close();
    for (const service of [[], ["-service", "anykv.v1.StoreService"]]) {
      const result = await probe(server, ...service);
      expect(result.stderr).toContain("NOT_SERVING");
      expect(result.code).toBe(4);
    }
  });

  it("while the server drains: Watch hears NOT_SERVING, then its stream ends", async () => {
    const server = await startTestServer({ backend: "memory" });
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const seen: Status[] = [];
    const watch = (async () => {
      for await (const res of health.watch({ service: "anykv.v1.StoreService" })) {
        seen.push(res.status);
        if (seen.length === 1) void server.close();
      }
    })();
    await watch; // ends by itself once the server drains
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
  });

  it("Watch of an unknown service says SERVICE_UNKNOWN instead of failing", async () => {
    const server = await startTestServer({ backend: "memory" });
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const abort = new AbortController();
    for await (const res of health.watch({ service: "no.such.Service" }, { signal: abort.signal })) {
      expect(res.status).toBe(Status.SERVICE_UNKNOWN);
      break;
    }
    abort.abort();
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
  });
});
