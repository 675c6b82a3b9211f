import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { createStore } from "../../src/client/index.js";
import { until } from "../support/until.js";

/**
 * A StoreService peer on a real socket whose Exists waits until its call is cancelled or its
 * deadline passes, and records what each call brought: the client's options are seen where they
 * matter, at the server.
 */
interface Seen {
  trace: string | null;
  tenant: string | null;
  timeout: string | null;
  ended?: "aborted";
}
const seen: Seen[] = [];
let url = "";
let server: http2.Http2Server;
const sessions = new Set<http2.ServerHttp2Session>();

beforeAll(async () => {
  const routes = (router: ConnectRouter) =>
    router.service(StoreService, {
      async exists(request, context) {
        const record: Seen = {
          trace: context.requestHeader.get("x-trace"),
          tenant: context.requestHeader.get("x-tenant"),
          timeout: context.requestHeader.get("grpc-timeout"),
        };
        seen.push(record);
        if (request.key === "now") return { exists: true };
        await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve()));
        record.ended = "aborted";
        throw new ConnectError("gave up", Code.Canceled);
      },
    });
  server = http2.createServer(connectNodeAdapter({ routes }));
  server.on("session", (session) => sessions.add(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  // The clients keep their connections: end them, or close() waits for them.
  for (const session of sessions) session.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

describe("call options over a real socket", () => {
  it("a deadline that passes is DEADLINE_EXCEEDED, and the server was told it (grpc-timeout)", async () => {
    const store = createStore({ baseUrl: url });
    const started = performance.now();
    const err = await failure(store.exists("wait", { timeoutMs: 300 }));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(seen.at(-1)?.timeout).toMatch(/^\d+m$/);
  });

  it("the store's default deadline applies to unary calls, and a call's own wins", async () => {
    const store = createStore({ baseUrl: url, timeoutMs: 200 });
    expect((await failure(store.exists("wait"))).code).toBe(Code.DeadlineExceeded);
    const longer = failure(store.exists("wait", { timeoutMs: 1500 }));
    const started = performance.now();
    expect((await longer).code).toBe(Code.DeadlineExceeded);
    expect(performance.now() - started).toBeGreaterThan(1000);
  });

  it("headers arrive at the server: the store's, and a call's added over them", async () => {
    const store = createStore({ baseUrl: url, headers: { "x-tenant": "acme", "x-trace": "default" } });
    expect(await store.exists("now")).toBe(true);
    expect(seen.at(-1)).toMatchObject({ tenant: "acme", trace: "default", timeout: null });
    expect(await store.exists("now", { headers: { "x-trace": "abc123" } })).toBe(true);
    expect(seen.at(-1)).toMatchObject({ tenant: "acme", trace: "abc123" });
  });

  it("an aborted signal cancels the call, at the client and at the server", async () => {
    const store = createStore({ baseUrl: url });
    const controller = new AbortController();
    const call = store.exists("wait", { signal: controller.signal });
    await until("the call record", () => seen.at(-1)?.trace === null && seen.at(-1)?.ended === undefined);
    const record = seen.at(-1)!;
    controller.abort();
    expect((await failure(call)).code).toBe(Code.Canceled);
    await until("the aborted end", () => record.ended === "aborted");

    // The store's signal cancels every call made through it.
    const storeWide = new AbortController();
    const scoped = createStore({ baseUrl: url, signal: storeWide.signal });
    const pending = scoped.exists("wait");
    setTimeout(() => storeWide.abort(), 100);
    expect((await failure(pending)).code).toBe(Code.Canceled);
  });
});
