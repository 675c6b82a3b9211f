import { createConnectTransport } from "@connectrpc/connect-node";
import { beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";

let server: RunningServer;
let store: AnykvStore;
beforeAll(async () => {
  server = await startTestServer();
  store = createStore({ baseUrl: server.url, namespace: "client-values" });
});

describe("values through the typed client and the server", () => {
  it("keeps a __proto__ key of a plain object", async () => {
    const key = uniqueKey();
    const value = JSON.parse('{"__proto__": {"x": 1}, "a": 2}');
    expect((await store.put(key, value))?.codec).toBe("json");
    const got = (await store.get(key)) as object;
    expect(Object.keys(got)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(got)).toBe('{"__proto__":{"x":1},"a":2}');
  });
});

describe("TTLs in seconds with fractions", () => {
  it("sends a valid Duration however the fraction rounds, also over Connect's JSON format", async () => {
    const json = createStore({
      baseUrl: server.url,
      namespace: "client-values",
      transport: createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", useBinaryFormat: false }),
    });
    const info = await json.put(uniqueKey(), "x", { ttl: 2.9999999999 });
    expect(info!.expiresAt!.getTime() - info!.updatedAt!.getTime()).toBe(3000);
    const half = await json.put(uniqueKey(), "x", { ttl: 1.5 });
    expect(half!.expiresAt!.getTime() - half!.updatedAt!.getTime()).toBe(1500);
  });

  it("refuses a TTL that is not a number of seconds with a message that says so", async () => {
    await expect(store.put(uniqueKey(), "x", { ttl: Number.NaN })).rejects.toThrow(/ttl must be a finite/);
    await expect(store.put(uniqueKey(), "x", { ttl: Number.POSITIVE_INFINITY })).rejects.toThrow(
      /ttl must be a finite/,
    );
  });
});
