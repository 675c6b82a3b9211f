import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import type { WatchResponse } from "../../gen/anykv/v1/store_pb.js";
import { type AnykvStore, createStore, errorInfo, type WatchEvent } from "../../src/client/index.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

let server: RunningServer;
let store: AnykvStore;
const ns = "watch";
beforeAll(async () => {
  server = await startTestServer({ watchRetention: 50, allowCode: true });
  store = createStore({ baseUrl: server.url, namespace: ns });
});

/** Reads `count` events of a watch, then stops it. */
async function take(events: AsyncIterable<WatchEvent>, count: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  if (count === 0) return out;
  for await (const event of events) {
    out.push(event);
    if (out.length >= count) break;
  }
  return out;
}

/** The raw stream's first message says the watch is in place. */
async function opened(prefix: string, startRevision = 0n) {
  const abort = new AbortController();
  const stream = store.rpc.watch(
    { namespace: ns, prefix, startRevision, includeValues: true },
    { signal: abort.signal },
  );
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  expect(first.value?.created).toBe(true);
  return { it, abort, revision: first.value!.revision };
}

describe("Watch", () => {
  it("streams put, delete, batch and expire events under a prefix, with values", async () => {
    const base = uniqueKey("w");
    const { it, abort } = await opened(base);
    const put = await store.put(`${base}/a`, { n: 1 });
    await store.put(`${uniqueKey("elsewhere")}`, 1);
    await store.delete(`${base}/a`);
    const batch = await store.batch([
      { type: "put", key: `${base}/b`, value: "b" },
      { type: "put", key: `${base}/c`, value: "c" },
    ]);
    await store.put(`${base}/ttl`, "soon", { ttl: 0.05 });
    const got: WatchResponse[] = [];
    for (let i = 0; i < 5; i++) got.push((await it.next()).value!);
    abort.abort();
    expect(got[0]!.events[0]).toMatchObject({ key: `${base}/a`, revision: put!.revision });
    const first = got[0]!.events[0]!.result;
    expect(first.case === "value" && first.value.kind.case).toBe("json");
    expect(got[1]!.events.map((e) => [e.type, e.key])).toEqual([[2, `${base}/a`]]);
    expect(got[2]!.revision).toBe(batch.revision);
    expect(got[2]!.events.map((e) => e.key)).toEqual([`${base}/b`, `${base}/c`]);
    expect(got[4]!.events.map((e) => [e.type, e.key])).toEqual([[3, `${base}/ttl`]]);
  });

  it("resumes from a revision without gaps", async () => {
    const base = uniqueKey("resume");
    const { it, abort, revision } = await opened(base);
    await store.put(`${base}/1`, 1);
    const seen = (await it.next()).value!;
    abort.abort();
    // Writes while nobody watches.
    for (let i = 2; i <= 5; i++) await store.put(`${base}/${i}`, i);
    const resumed = await take(store.watch({ prefix: base, startRevision: seen.revision + 1n }), 4);
    expect(resumed.map((e) => e.key)).toEqual([2, 3, 4, 5].map((i) => `${base}/${i}`));
    const all = await take(store.watch({ prefix: base, startRevision: revision + 1n }), 5);
    expect(all.map((e) => e.key)).toEqual([1, 2, 3, 4, 5].map((i) => `${base}/${i}`));
  });

  it("answers OUT_OF_RANGE with the oldest revision for a revision past the retention window", async () => {
    const base = uniqueKey("compact");
    const first = await store.put(`${base}/0`, 0);
    for (let i = 1; i <= 60; i++) await store.put(`${base}/${i}`, i);
    // The server holding the maintenance lease compacts the log at its next tick (1 s).
    const attempt = () =>
      take(store.watch({ prefix: base, startRevision: first!.revision }), 1).catch((e: unknown) =>
        ConnectError.from(e),
      );
    await expect.poll(async () => (await attempt()) instanceof ConnectError, { timeout: 10_000 }).toBe(true);
    const err = await attempt();
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.OutOfRange);
    const info = errorInfo(err);
    expect(info?.reason).toBe("COMPACTED");
    const oldest = info?.metadata.oldestRevision;
    expect(Number(oldest)).toBeGreaterThan(Number(first!.revision));
    expect((err as ConnectError).message).toMatch(/oldest revision available/);
  });
});

describe("Node client watch", () => {
  it("throws a value it cannot decode (code with trustCode off) instead of reconnecting forever", async () => {
    const wary = createStore({ baseUrl: server.url, namespace: ns }); // trustCode defaults to false
    const base = uniqueKey("code");
    const info = await store.put(`${base}/f`, (x: number) => x + 1);
    const abort = new AbortController();
    const first = take(
      wary.watch({
        prefix: base,
        startRevision: info!.revision,
        includeValues: true,
        retryDelayMs: 10,
        signal: abort.signal,
      }),
      1,
    );
    const timer = setTimeout(() => abort.abort(), 3000);
    try {
      await expect(first).rejects.toThrow(/pass trustCode: true/);
    } finally {
      clearTimeout(timer);
    }
  });

  it("reconnects after a server restart and resumes from the last revision it saw", async () => {
    const data = join(tempDir(), "data");
    let first: RunningServer | undefined = await startServer({ port: 0, data });
    const port = first.port;
    const client = createStore({ baseUrl: first.url, namespace: ns });
    const base = uniqueKey("auto");
    const seen: string[] = [];
    const abort = new AbortController();
    const done = (async () => {
      for await (const event of client.watch({ prefix: base, retryDelayMs: 20, signal: abort.signal })) {
        seen.push(event.key);
        if (seen.length === 6) return;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 3; i++) await client.put(`${base}/${i}`, i);
    await expect.poll(() => seen.length).toBe(3);
    await first.close();
    first = undefined;
    const second = await startServer({ port, data });
    try {
      // Written on the new server, maybe before the watch is back: the resume catches them. A put
      // may meet the client's connection attempt that the watch's reconnect started while no
      // server listened (ECONNREFUSED, UNAVAILABLE): it is sent again.
      const put = async (i: number) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await client.put(`${base}/${i}`, i);
          } catch (err) {
            if (attempt > 20 || ConnectError.from(err).code !== Code.Unavailable) throw err;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      };
      for (let i = 3; i < 6; i++) await put(i);
      await done;
      expect(seen).toEqual([0, 1, 2, 3, 4, 5].map((i) => `${base}/${i}`));
    } finally {
      abort.abort();
      await second.close();
    }
  });
});
