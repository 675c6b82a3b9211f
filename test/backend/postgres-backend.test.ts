import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend, ChangePage, NewRecord } from "../../src/backend/backend.js";
import { openPostgresBackend } from "../../src/backend/postgres-backend.js";
import { isAnykvError } from "../../src/errors.js";
import {
  freshSchema,
  type PostgresServer,
  startPostgres,
  testPostgresUrl,
} from "../support/postgres-server.js";

const record = (text: string): NewRecord => ({
  value: new TextEncoder().encode(text),
  meta: { codec: "text", kind: "text", model: "", contentType: "text/plain", createdAt: 1, updatedAt: 1 },
});
const text = (r: { value: Uint8Array } | undefined) => r && new TextDecoder().decode(r.value);
const unavailable = (e: unknown) => isAnykvError(e, "UNAVAILABLE");

/** The next page of a change log follow, or a failure after `ms`. */
async function nextPage(pages: AsyncIterator<ChangePage>, ms = 5000): Promise<ChangePage> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no change page within ${ms} ms`)), ms);
  });
  try {
    const next = await Promise.race([pages.next(), timeout]);
    if (next.done) throw new Error("the follow ended");
    return next.value;
  } finally {
    clearTimeout(timer);
  }
}

describe("postgres backend: several processes on one schema", () => {
  const opened: Backend[] = [];
  const open = async (schema: string) => {
    const backend = await openPostgresBackend({ url: `${testPostgresUrl()}?schema=${schema}` });
    opened.push(backend);
    return backend;
  };
  afterAll(async () => {
    for (const backend of opened) await backend.close();
  });

  it("shares records, one revision and the conditions between two backends", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const r1 = await a.write([{ type: "put", key: "k", record: record("from a") }]);
    expect(text(await b.get("k"))).toBe("from a");
    const r2 = await b.write(
      [{ type: "put", key: "k", record: record("from b") }],
      [{ key: "k", revision: r1 }],
    );
    expect(r2).toBeGreaterThan(r1);
    expect(await a.revision()).toBe(r2);
    // a's condition names the revision b replaced.
    await expect(
      a.write([{ type: "put", key: "k", record: record("lost") }], [{ key: "k", revision: r1 }]),
    ).rejects.toSatisfy((e) => isAnykvError(e, "CONFLICT") && /revision/.test((e as Error).message));
    // Racing increments from both: each read-modify-write retries on CONFLICT, none is lost.
    await a.write([{ type: "put", key: "n", record: record("0") }]);
    const increment = async (backend: Backend) => {
      for (;;) {
        const current = (await backend.get("n"))!;
        const next = String(Number(text(current)) + 1);
        try {
          await backend.write(
            [{ type: "put", key: "n", record: record(next) }],
            [{ key: "n", revision: current.meta.revision }],
          );
          return;
        } catch (err) {
          if (!isAnykvError(err, "CONFLICT")) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 ? a : b)));
    expect(text(await a.get("n"))).toBe("20");
  });

  it("commits the writes that queue behind one in flight together, each with its own revision and its own conflict", async () => {
    const b = await open(freshSchema());
    const inFlight = b.write([{ type: "put", key: "first", record: record("1") }]);
    // These queue while `first` is in flight, so they form the next batch.
    const results = await Promise.allSettled([
      b.write([{ type: "put", key: "x", record: record("a") }], [{ key: "x", revision: null }]),
      b.write([{ type: "put", key: "x", record: record("b") }], [{ key: "x", revision: null }]),
      b.write([
        { type: "put", key: "y", record: record("old") },
        { type: "del", key: "y" },
        { type: "put", key: "y", record: record("last op wins") },
      ]),
      b.write([], [], new Uint8Array([1])),
    ]);
    const first = await inFlight;
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    const refused = (results[1] as PromiseRejectedResult).reason;
    expect(isAnykvError(refused, "CONFLICT") && /"x" already exists/.test(refused.message)).toBe(true);
    const revisions = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(revisions).toEqual([first + 1, first + 2, first + 3]);
    expect(text(await b.get("x"))).toBe("a");
    expect((await b.get("y"))?.meta.revision).toBe(first + 2);
    expect(text(await b.get("y"))).toBe("last op wins");
    expect(await b.revision()).toBe(first + 3);
  });

  it("cuts change log pages of large entries at a few MiB, losing none", async () => {
    const b = await open(freshSchema());
    const big = (i: number) => new Uint8Array(1536 * 1024).fill(i);
    const revisions: number[] = [];
    for (let i = 0; i < 5; i++) revisions.push(await b.write([], [], big(i)));
    const pages: ChangePage[] = [];
    for await (const page of b.changes(0)) pages.push(page);
    const entries = pages.flatMap((p) => p.entries);
    expect(entries.map((e) => e.revision)).toEqual(revisions);
    expect(entries.map((e) => [e.change.length, e.change[0]])).toEqual(
      revisions.map((_, i) => [1536 * 1024, i]),
    );
    const sizes = pages.filter((p) => p.entries.length > 0).map((p) => p.entries.length);
    expect(sizes).toEqual([3, 2]);
    expect(pages.at(-1)!.revision).toBe(revisions.at(-1));
  });

  it("wakes a follower on one backend with a commit made through another (NOTIFY), long before the progress interval", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const controller = new AbortController();
    const pages = a
      .changes(0, { follow: true, progressMs: 60_000, signal: controller.signal })
      [Symbol.asyncIterator]();
    expect(await nextPage(pages)).toEqual({ entries: [], revision: 0 });
    const started = Date.now();
    const revision = await b.write([{ type: "put", key: "w", record: record("v") }], [], new Uint8Array([7]));
    const page = await nextPage(pages);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(page.revision).toBe(revision);
    expect(page.entries.map((e) => [e.revision, [...e.change]])).toEqual([[revision, [7]]]);
    controller.abort();
    await pages.return?.();
  });

  it("names the URL without its password when the engine cannot be reached", async () => {
    const url = "postgres://anykv:sekrit-password@127.0.0.1:1/anykv";
    const failure = await openPostgresBackend({ url }).catch((e: unknown) => e);
    expect(unavailable(failure)).toBe(true);
    expect((failure as Error).message).toContain("postgres://anykv:***@127.0.0.1:1/anykv");
    expect((failure as Error).message).not.toContain("sekrit");
  });
});

describe("postgres backend: the engine stops and starts again", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.remove();
  });

  it("answers UNAVAILABLE while PostgreSQL is down, and works again once it is back", async () => {
    const backend = await openPostgresBackend({ url: server.url });
    const watcher = await openPostgresBackend({ url: server.url });
    try {
      await backend.write([{ type: "put", key: "k", record: record("kept") }]);
      expect(await backend.lease("anykv:maintenance", "a", 60_000)).toBe(true);
      const controller = new AbortController();
      const pages = watcher.changes(0, { follow: true, progressMs: 200, signal: controller.signal });
      const follow = pages[Symbol.asyncIterator]();
      await nextPage(follow);
      await server.stop();
      await expect(backend.get("k")).rejects.toSatisfy(unavailable);
      await expect(backend.write([{ type: "put", key: "k", record: record("x") }])).rejects.toSatisfy(
        unavailable,
      );
      await expect(backend.revision()).rejects.toSatisfy(unavailable);
      // The lease's session went down with the engine: the lease is lost, and asking is UNAVAILABLE.
      await expect(backend.lease("anykv:maintenance", "a", 60_000)).rejects.toSatisfy(unavailable);
      // The follower's next read fails the same way.
      await expect(nextPage(follow)).rejects.toSatisfy(unavailable);
      await server.start();
      expect(text(await backend.get("k"))).toBe("kept");
      // A new session takes the lease again (nobody else holds it).
      expect(await backend.lease("anykv:maintenance", "a", 60_000)).toBe(true);
      // A new follow is woken by NOTIFY again (the listener reconnected).
      const again = watcher.changes(await watcher.revision(), {
        follow: true,
        progressMs: 60_000,
        signal: controller.signal,
      });
      const resumed = again[Symbol.asyncIterator]();
      await nextPage(resumed);
      const revision = await backend.write(
        [{ type: "put", key: "k", record: record("new") }],
        [],
        new Uint8Array([1]),
      );
      expect((await nextPage(resumed)).revision).toBe(revision);
      controller.abort();
    } finally {
      await backend.close();
      await watcher.close();
    }
  });
});
