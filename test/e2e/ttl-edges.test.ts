import { beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore } from "../../src/client/index.js";
import { startTestServer, uniqueKey } from "../support/server.js";

let store: AnykvStore;
beforeAll(async () => {
  const server = await startTestServer({ defaultTtlMs: 3_600_000 });
  store = createStore({ baseUrl: server.url, namespace: "ttl-edges" });
});

const text = { kind: { case: "text", value: "v" } } as const;

describe("TTL edges over the wire", () => {
  it("gives a TTL under one millisecond an expiry, not 'never expire'", async () => {
    const key = uniqueKey("sub-ms");
    const before = Date.now();
    const res = await store.rpc.put({ key, value: text, ttl: { seconds: 0n, nanos: 500_000 } });
    const expiresAt = res.info?.expiresAt;
    expect(expiresAt).toBeDefined();
    // Rounded up to whole milliseconds: never later than a millisecond or so, never "never".
    expect(Number(expiresAt!.seconds) * 1000 + expiresAt!.nanos / 1e6).toBeLessThan(before + 1000);
  });

  it("keeps an explicit zero TTL as 'never expire', over the default", async () => {
    const key = uniqueKey("zero");
    const res = await store.rpc.put({ key, value: text, ttl: { seconds: 0n, nanos: 0 } });
    expect(res.info?.expiresAt).toBeUndefined();
    const unset = await store.rpc.put({ key: uniqueKey("unset"), value: text });
    expect(unset.info?.expiresAt).toBeDefined();
  });
});
