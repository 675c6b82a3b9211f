import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { openRedisBackend, type RedisBackend } from "../../src/backend/redis-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { startRedisServer } from "../support/redis-server.js";

const record = (text: string) => ({
  value: new TextEncoder().encode(text),
  meta: { codec: "text", kind: "text", model: "", contentType: "text/plain", createdAt: 1, updatedAt: 2 },
});
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const unavailable = (e: unknown) => isAnykvError(e, "UNAVAILABLE");
const open = (keyPrefix: string, url = inject("redisUrl")) => openRedisBackend({ url, keyPrefix });
const opened: RedisBackend[] = [];
afterAll(() => Promise.all(opened.map((b) => b.close())));
/** Two backends on one store (one key prefix), as two anykv processes would have. */
async function pair(): Promise<[RedisBackend, RedisBackend]> {
  const prefix = `{t-${randomUUID()}}:`;
  const both = [await open(prefix), await open(prefix)] as [RedisBackend, RedisBackend];
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
  it("shares one revision counter and the records", async () => {
    const [a, b] = await pair();
    const r1 = await a.write([{ type: "put", key: "k", record: record("from a") }]);
    const r2 = await b.write([{ type: "put", key: "j", record: record("from b") }]);
    expect(r2).toBe(r1 + 1);
    expect(text((await b.get("k"))?.value)).toBe("from a");
    expect(await a.revision()).toBe(r2);
  });

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

  it("keeps a lease for one holder at a time, renews it, and lets it go", async () => {
    const [a, b] = await pair();
    expect(await a.lease("sweeper", "A", 300)).toBe(true);
    expect(await b.lease("sweeper", "B", 300)).toBe(false);
    expect(await a.lease("sweeper", "A", 300)).toBe(true);
    await b.releaseLease("sweeper", "B"); // not B's: no effect
    expect(await b.lease("sweeper", "B", 300)).toBe(false);
    await a.releaseLease("sweeper", "A");
    expect(await b.lease("sweeper", "B", 150)).toBe(true);
    await new Promise((r) => setTimeout(r, 250)); // B stopped renewing: the lease lapses
    expect(await a.lease("sweeper", "A", 300)).toBe(true);
  });
});

describe("Redis backend: the change log", () => {
  const change = (s: string) => new TextEncoder().encode(s);
  const collect = async <T>(it: AsyncIterable<T>) => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  it("appends a change in the same write and reads it back in revision order", async () => {
    const [a, b] = await pair();
    const r1 = await a.write([{ type: "put", key: "x", record: record("1") }], [], change("one"));
    await b.write([{ type: "put", key: "y", record: record("quiet") }]); // no change entry
    const r3 = await b.write([{ type: "del", key: "x" }], [], change("three"));
    const pages = await collect(a.changes(0, {}));
    const entries = pages.flatMap((p) => p.entries);
    expect(entries.map((e) => [e.revision, text(e.change)])).toEqual([
      [r1, "one"],
      [r3, "three"],
    ]);
    expect(pages.at(-1)?.revision).toBe(r3);
    expect((await collect(a.changes(r1, {}))).flatMap((p) => p.entries).map((e) => e.revision)).toEqual([r3]);
  });

  it("writes no change entry when the write's condition fails", async () => {
    const [a] = await pair();
    await a.write([{ type: "put", key: "x", record: record("1") }], [], change("one"));
    const failed = a.write(
      [{ type: "put", key: "x", record: record("2") }],
      [{ key: "x", revision: null }],
      change("no"),
    );
    await expect(failed).rejects.toSatisfy((e) => isAnykvError(e, "CONFLICT"));
    expect((await collect(a.changes(0, {}))).flatMap((p) => p.entries).map((e) => text(e.change))).toEqual([
      "one",
    ]);
  });

  it("follows writes made through another connection, with progress pages while quiet", async () => {
    const [a, b] = await pair();
    const start = await a.revision();
    const controller = new AbortController();
    const seen: string[] = [];
    const progress: number[] = [];
    const following = (async () => {
      for await (const page of a.changes(start, {
        follow: true,
        progressMs: 100,
        signal: controller.signal,
      })) {
        for (const entry of page.entries) seen.push(text(entry.change));
        if (page.entries.length === 0) progress.push(page.revision);
      }
    })();
    await b.write([{ type: "put", key: "p", record: record("1") }], [], change("first"));
    await expect.poll(() => seen).toEqual(["first"]);
    const quiet = await b.write([{ type: "put", key: "q", record: record("2") }]); // no entry: progress only
    await expect.poll(() => progress.at(-1)).toBe(quiet);
    await b.write([{ type: "put", key: "r", record: record("3") }], [], change("second"));
    await expect.poll(() => seen).toEqual(["first", "second"]);
    controller.abort();
    await following;
  });

  it("drops compacted entries for every process and says COMPACTED for a start before the point", async () => {
    const [a, b] = await pair();
    const revs: number[] = [];
    for (const s of ["1", "2", "3"])
      revs.push(await a.write([{ type: "put", key: s, record: record(s) }], [], change(s)));
    await a.compact(revs[1]!);
    const error = await collect(b.changes(revs[0]!, {})).catch((e: unknown) => e);
    expect(isAnykvError(error, "COMPACTED")).toBe(true);
    expect((error as { metadata: Record<string, string> }).metadata.oldestRevision).toBe(
      String(revs[1]! + 1),
    );
    const rest = (await collect(b.changes(revs[1]!, {})))
      .flatMap((p) => p.entries)
      .map((e) => text(e.change));
    expect(rest).toEqual(["3"]);
    await b.compact(revs[0]!); // never moves back
    await expect(collect(b.changes(revs[0]!, {}))).rejects.toSatisfy((e) => isAnykvError(e, "COMPACTED"));
  });
});
