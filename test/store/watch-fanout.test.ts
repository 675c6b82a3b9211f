import { afterEach, describe, expect, it } from "vitest";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { type RevisionEvents, Store } from "../../src/store/store.js";

// Issue #14: with 2,000 Watch streams open, each Put took about 200 ms: every watcher woke and
// filtered every write. Watchers are now indexed by prefix; a write's work is counted here.

const input = (text: string) => ({
  value: new TextEncoder().encode(text),
  codec: "text",
  kind: "text",
  model: "",
  contentType: "",
});

let store: Store;
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) c.abort();
  await store.close(); // (a second close is harmless)
});

/** Opens a live watch: its first group (the start revision) is read, and it waits for events. */
async function live(prefix: string): Promise<{ next: Promise<IteratorResult<RevisionEvents>> }> {
  const abort = new AbortController();
  controllers.push(abort);
  const feed = store.watch("ns", { prefix, signal: abort.signal });
  await feed.next();
  const next = feed.next();
  next.catch(() => undefined); // a watch still open when the store closes ends with UNAVAILABLE
  return { next };
}

/** Stats deltas of one put of `key`, after `watchers` watchers on other prefixes and one on `key`'s parent. */
async function putCost(watchers: number) {
  store = new Store(createMemoryBackend(), { sweepIntervalMs: 0 });
  for (let i = 0; i < watchers; i++) await live(`other/${i}`);
  const mine = await live("users/7");
  expect(store.watchStats.watchers).toBe(watchers + 1);
  const before = { ...store.watchStats };
  await store.put("ns", "users/7/name", input("ada"));
  const after = { ...store.watchStats };
  const got = await mine.next;
  expect(got.value?.events.map((e: { key: string }) => e.key)).toEqual(["users/7/name"]);
  for (const c of controllers.splice(0)) c.abort();
  await store.close();
  return { deliveries: after.deliveries - before.deliveries, lookups: after.lookups - before.lookups };
}

describe("watch fan-out", () => {
  it("costs a put the same with 20 or 2,000 watchers on other prefixes", async () => {
    const few = await putCost(20);
    const many = await putCost(2000);
    // One delivery (the one interested watcher); one index lookup per path prefix: "", users,
    // users/7, users/7/name.
    expect(few).toEqual({ deliveries: 1, lookups: 4 });
    expect(many).toEqual(few);
  });

  it("delivers to every watcher whose prefix is a path prefix of the key, once each", async () => {
    store = new Store(createMemoryBackend(), { sweepIntervalMs: 0 });
    const all = await live("");
    const users = await live("users");
    const ada = await live("users/ada");
    const adam = await live("users/adam");
    const food = await live("food");
    const before = store.watchStats.deliveries;
    const { revision } = await store.write("ns", [
      { type: "put", key: "users/ada", input: input("1") },
      { type: "put", key: "users/ada/email", input: input("2") },
    ]);
    expect(store.watchStats.deliveries - before).toBe(3);
    const keys = async (w: { next: Promise<IteratorResult<RevisionEvents>> }) => {
      const { value } = await w.next;
      expect(value?.revision).toBe(revision);
      return value?.events.map((e: { key: string }) => e.key);
    };
    expect(await keys(all)).toEqual(["users/ada", "users/ada/email"]);
    expect(await keys(users)).toEqual(["users/ada", "users/ada/email"]);
    expect(await keys(ada)).toEqual(["users/ada", "users/ada/email"]);
    // "users/adam" and "food" are not path prefixes of these keys: nothing was handed to them.
    let settled = false;
    void adam.next.then(() => (settled = true));
    void food.next.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
  });

  it("ends a watcher that falls more than watchBufferBytes behind, naming the revision to resume from", async () => {
    store = new Store(createMemoryBackend(), { sweepIntervalMs: 0, watchBufferBytes: 10_000 });
    const abort = new AbortController();
    controllers.push(abort);
    const feed = store.watch("ns", { prefix: "logs", signal: abort.signal });
    await feed.next();
    const waiting = feed.next(); // live now
    const first = await store.put("ns", "logs/0", input("x".repeat(1000)));
    expect((await waiting).value?.revision).toBe(first.meta.revision);
    // Nobody reads: the next writes pile up past 10 kB.
    const second = await store.put("ns", "logs/1", input("x".repeat(4000)));
    for (let i = 2; i < 10; i++) await store.put("ns", `logs/${i}`, input("x".repeat(4000)));
    expect(store.watchStats.overflows).toBe(1);
    expect(store.watchStats.watchers).toBe(0);
    await expect(feed.next()).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      message: expect.stringMatching(
        new RegExp(
          `resume it from revision ${second.meta.revision} \\(limit raised with --max-stream-buffer-bytes\\)$`,
        ),
      ),
    });
    // Resuming from that revision replays what was missed from the ring.
    const resumed = store.watch("ns", {
      prefix: "logs",
      startRevision: second.meta.revision,
      signal: abort.signal,
    });
    await resumed.next();
    const replayed = [];
    for (let i = 1; i < 10; i++) replayed.push((await resumed.next()).value?.events[0]?.key);
    expect(replayed).toEqual(Array.from({ length: 9 }, (_, i) => `logs/${i + 1}`));
  });
});
