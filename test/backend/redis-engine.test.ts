import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { openRedisBackend } from "../../src/backend/redis-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { startRedisServer } from "../support/redis-server.js";

const record = (text: string) => ({
  value: new TextEncoder().encode(text),
  meta: { codec: "text", kind: "text", model: "", contentType: "text/plain", createdAt: 1, updatedAt: 2 },
});
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const unavailable = (e: unknown) => isAnykvError(e, "UNAVAILABLE");
const open = (keyPrefix: string, url = inject("redisUrl")) => openRedisBackend({ url, keyPrefix });
const opened: Backend[] = [];
afterAll(() => Promise.all(opened.map((b) => b.close())));
/** Two backends on one store (one key prefix), as two anykv processes would have. */
async function pair(): Promise<[Backend, Backend]> {
  const prefix = `{t-${randomUUID()}}:`;
  const both = [await open(prefix), await open(prefix)] as [Backend, Backend];
  opened.push(...both);
  return both;
}

describe("Redis backend: the engine going away and coming back", () => {
  it("answers UNAVAILABLE while Redis is down and works again once it is back, by itself", async () => {
    const server = await startRedisServer();
    afterAll(() => server.close());
    const backend = await open("{anykv}:", server.url);
    opened.push(backend);
    await backend.write([{ type: "put", key: "before", record: record("1") }]);
    await server.stop();
    await expect(backend.get("before")).rejects.toSatisfy(unavailable);
    await expect(backend.write([{ type: "put", key: "during", record: record("2") }])).rejects.toSatisfy(
      unavailable,
    );
    const scan = async () => {
      for await (const _ of backend.scan({}));
    };
    await expect(scan()).rejects.toSatisfy(unavailable);
    await server.start();
    // ioredis reconnects in the background (every second at most); the store is empty again,
    // since the tests' Redis keeps nothing on disk.
    await expect
      .poll(
        () =>
          backend.get("before").then(
            () => "up",
            () => "down",
          ),
        { timeout: 10_000 },
      )
      .toBe("up");
    await backend.write([{ type: "put", key: "after", record: record("3") }]);
    expect(text((await backend.get("after"))?.value)).toBe("3");
  });

  it("refuses to open with UNAVAILABLE naming the URL without its password", async () => {
    const server = await startRedisServer();
    const url = new URL(server.url);
    await server.close();
    url.password = "s3cret-pw";
    const attempt = openRedisBackend({ url: url.toString() });
    await expect(attempt).rejects.toSatisfy(unavailable);
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain(`127.0.0.1:${url.port}`);
    expect(message).not.toContain("s3cret-pw");
  });
});

describe("Redis backend: two processes on one store", () => {
  // The conformance suite's attach case covers the shared revision, change log and leases.
  it("lets one of two racing if-absent writers win, across connections", async () => {
    const [a, b] = await pair();
    const attempts = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? a : b).write(
        [{ type: "put", key: "race", record: record(String(i)) }],
        [{ key: "race", revision: null }],
      ),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(isAnykvError(r.reason, "CONFLICT")).toBe(true);
  });
});

describe("Redis backend: --backend URLs", () => {
  it("keeps stores named by ?store= apart in one Redis, each under its own hash tag", async () => {
    const base = inject("redisUrl");
    const tag = randomUUID().slice(0, 8);
    const a = await openRedisBackend(`${base}/0?store=a-${tag}`);
    const b = await openRedisBackend(`${base}/0?store=b-${tag}`);
    opened.push(a, b);
    await a.write([{ type: "put", key: "k", record: record("in a") }]);
    expect(await b.get("k")).toBeUndefined();
    expect(await b.revision()).toBe(0);
    const again = await openRedisBackend(`${base}/0?store=a-${tag}`);
    opened.push(again);
    expect(text((await again.get("k"))?.value)).toBe("in a");
    await expect(openRedisBackend(`${base}?store=no{tags}`)).rejects.toSatisfy((e) =>
      isAnykvError(e, "INVALID_ARGUMENT"),
    );
  });
});
