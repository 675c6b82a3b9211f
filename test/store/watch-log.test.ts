import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { isAnykvError } from "../../src/errors.js";
import { type RevisionEvents, Store } from "../../src/store/store.js";
import type { StoreOptions } from "../../src/store/store-options.js";
import { backendFactories } from "../support/backends.js";
import { readUntil } from "../support/read-until.js";
import { textInput as input } from "../support/store-fixtures.js";

/** A Store on `backend` that leaves the backend open when it closes (several stores share one). */
const storeOn = (backend: Backend, options: Partial<StoreOptions> = {}) =>
  new Store({ ...backend, close: async () => undefined }, { sweepIntervalMs: 0, ...options });

/** `backend` with its changes() counting the entries they yield (what a compaction pass reads back). */
function countingChanges(backend: Backend) {
  let entries = 0;
  const counted: Backend = {
    ...backend,
    async *changes(after, options) {
      for await (const page of backend.changes(after, options)) {
        entries += page.entries.length;
        yield page;
      }
    },
  };
  return { counted, entriesRead: () => entries };
}

const keysOf = (groups: readonly RevisionEvents[]) =>
  groups.flatMap((g) => g.events.map((e) => `${e.type} ${e.key}`));

describe.each(backendFactories.map((f) => [f.name, f] as const))(
  "watch as a tail of the change log: %s",
  (_, factory) => {
    it("sees the writes of another store on the same backend (another server), once each, in order", async () => {
      const backend = await factory.create();
      const a = storeOn(backend);
      const b = storeOn(backend);
      const abort = new AbortController();
      const feed = a.watch("ns", { prefix: "users", signal: abort.signal });
      await feed.next();
      await b.put("ns", "users/1", input("one"));
      await a.put("ns", "other/1", input("x"));
      await b.write("ns", [
        { type: "put", key: "users/2", input: input("two") },
        { type: "del", key: "users/1" },
      ]);
      const seen = await readUntil(feed, (s) => keysOf(s).length >= 3);
      expect(keysOf(seen)).toEqual(["put users/1", "put users/2", "delete users/1"]);
      abort.abort();
      await backend.close();
    });

    it("resumes from a past revision out of the durable log, after a restart where the backend persists", async () => {
      let backend = await factory.create();
      const first = storeOn(backend);
      const start = await first.put("ns", "q/a", input("a"));
      for (let i = 0; i < 5; i++) await first.put("ns", `busy/${i}`, input(String(i)));
      await first.put("ns", "q/b", input("b"));
      if (factory.reopen) backend = await factory.reopen(backend);
      const second = storeOn(backend);
      const abort = new AbortController();
      const feed = second.watch("ns", {
        prefix: "q",
        startRevision: start.meta.revision,
        signal: abort.signal,
      });
      const created = await feed.next();
      expect(created.value?.events).toEqual([]);
      const later = second.put("ns", "q/c", input("c"));
      const seen = await readUntil(feed, (s) => keysOf(s).length >= 3);
      expect(keysOf(seen)).toEqual(["put q/a", "put q/b", "put q/c"]);
      expect(seen[0]?.revision).toBe(start.meta.revision);
      expect(seen.at(-1)?.revision).toBe((await later).meta.revision);
      abort.abort();
      await backend.close();
    });

    it("sends progress notifications on a quiet prefix, so the resume point moves past other writes", async () => {
      const backend = await factory.create();
      const store = storeOn(backend, { watchProgressMs: 50 });
      const abort = new AbortController();
      const feed = store.watch("ns", { prefix: "quiet", signal: abort.signal });
      await feed.next();
      await store.put("ns", "quiet/a", input("a"));
      let last = 0;
      for (let i = 0; i < 5; i++) last = (await store.put("ns", `busy/${i}`, input(String(i)))).meta.revision;
      const seen = await readUntil(feed, (s) => s.some((g) => g.progress && g.revision >= last));
      expect(keysOf(seen)).toEqual(["put quiet/a"]);
      const progress = seen.filter((g) => g.progress);
      for (const g of progress) expect(g.events).toEqual([]);
      // Nothing under the prefix changed between quiet/a and the progress revision.
      expect(progress.at(-1)!.revision).toBe(last);
      abort.abort();
      await backend.close();
    });

    it("compacts the log by the retention options; a watch older than the compaction point is COMPACTED", async () => {
      const backend = await factory.create();
      const store = storeOn(backend, { watchRetentionEvents: 3 });
      const first = await store.put("ns", "k/0", input("0"));
      for (let i = 1; i < 6; i++) await store.put("ns", `k/${i}`, input(String(i)));
      const point = await store.compactLog();
      expect(await backend.compacted()).toBe(point);
      // Three events kept: k/3, k/4, k/5.
      expect(point).toBe(first.meta.revision + 2);
      const err = await store
        .watch("ns", { prefix: "k", startRevision: first.meta.revision })
        .next()
        .catch((e: unknown) => e);
      expect(isAnykvError(err, "COMPACTED")).toBe(true);
      expect((err as { metadata: Record<string, string> }).metadata.oldestRevision).toBe(String(point + 1));
      const abort = new AbortController();
      const feed = store.watch("ns", { prefix: "k", startRevision: point + 1, signal: abort.signal });
      await feed.next();
      const seen = await readUntil(feed, (s) => keysOf(s).length >= 3);
      expect(keysOf(seen)).toEqual(["put k/3", "put k/4", "put k/5"]);
      abort.abort();
      await backend.close();
    });

    it("weighs the entries its own store writes as they are written: a pass reads none of them back", async () => {
      const backend = await factory.create();
      const { counted, entriesRead } = countingChanges(backend);
      const store = storeOn(counted, { watchRetentionEvents: 3 });
      await store.put("ns", "k/0", input("0"));
      await store.compactLog(); // the first pass reads what is there
      const before = entriesRead();
      // Writes during a pass, and after it.
      const pass = store.compactLog();
      const during = await Promise.all([1, 2, 3].map((i) => store.put("ns", `k/${i}`, input(String(i)))));
      await pass;
      let last = during[2]!;
      for (let i = 4; i < 10; i++) last = await store.put("ns", `k/${i}`, input(String(i)));
      const point = await store.compactLog();
      // Three events kept, as if every entry had been read.
      expect(point).toBe(last.meta.revision - 3);
      expect(await backend.compacted()).toBe(point);
      expect(entriesRead() - before).toBeLessThanOrEqual(3); // at most the writes during the pass
      const again = entriesRead();
      for (let i = 10; i < 15; i++) last = await store.put("ns", `k/${i}`, input(String(i)));
      expect(await store.compactLog()).toBe(last.meta.revision - 3);
      expect(entriesRead()).toBe(again);
      await backend.close();
    });

    it("after another writer's entry, reads the log from there once, then weighs its own writes again", async () => {
      const backend = await factory.create();
      const { counted, entriesRead } = countingChanges(backend);
      const store = storeOn(counted, { watchRetentionEvents: 4 });
      const other = storeOn(backend);
      await store.put("ns", "a/0", input("0"));
      await store.compactLog();
      let before = entriesRead();
      await store.put("ns", "a/1", input("1"));
      await other.put("ns", "b/1", input("x")); // an entry this store did not write
      await store.put("ns", "a/2", input("2"));
      let last = await store.put("ns", "a/3", input("3"));
      let point = await store.compactLog();
      expect(point).toBe(last.meta.revision - 4);
      // The pass reads from the other writer's entry on (b/1, a/2, a/3), not a/1.
      expect(entriesRead() - before).toBe(3);
      before = entriesRead();
      for (let i = 4; i < 7; i++) last = await store.put("ns", `a/${i}`, input(String(i)));
      point = await store.compactLog();
      expect(point).toBe(last.meta.revision - 4);
      expect(entriesRead()).toBe(before);
      await backend.close();
    });

    it("tells a watch where to resume when the server stops: a progress notification, then UNAVAILABLE", async () => {
      const backend = await factory.create();
      const store = storeOn(backend, { watchProgressMs: 0 });
      const feed = store.watch("ns", { prefix: "quiet" });
      await feed.next();
      const seenQuiet = feed.next();
      await store.put("ns", "quiet/a", input("a"));
      expect((await seenQuiet).value?.events.map((e: { key: string }) => e.key)).toEqual(["quiet/a"]);
      const last = (await store.put("ns", "busy/1", input("b"))).meta.revision;
      // Wait until the tail has read the busy write (a new watch starts at its position), then stop.
      const tailAt = async () => {
        const probe = store.watch("ns", { prefix: "probe" });
        const first = await probe.next();
        await probe.return(undefined);
        return first.value?.revision ?? 0;
      };
      await expect.poll(tailAt, { timeout: 10_000 }).toBeGreaterThanOrEqual(last);
      store.stopWatches();
      const progress = await feed.next();
      expect(progress.value).toEqual({ revision: last, events: [], progress: true });
      await expect(feed.next()).rejects.toSatisfy((e: unknown) => isAnykvError(e, "UNAVAILABLE"));
      await backend.close();
    });
  },
);
