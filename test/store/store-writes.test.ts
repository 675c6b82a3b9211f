import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { isAnykvError } from "../../src/errors.js";
import { splitLines } from "../../src/store/lines.js";
import { type OpResult, Store } from "../../src/store/store.js";
import { backendFactories } from "../support/backends.js";
import {
  manualClock as clock,
  collect,
  textInput as input,
  storeFactories,
} from "../support/store-fixtures.js";

const conflict = (e: unknown) => isAnykvError(e, "CONFLICT");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe.each(storeFactories)("store conditions (%s)", (_name, newStore) => {
  it("puts with if_absent once, then refuses, naming the key and condition", async () => {
    const store = await newStore();
    const first = await store.put("", "k", input("1"), { ifAbsent: true });
    const err = await store.put("", "k", input("2"), { ifAbsent: true }).catch((e: unknown) => e);
    expect(conflict(err)).toBe(true);
    expect((err as Error).message).toContain('key "k"');
    expect((err as Error).message).toContain("precondition absent failed");
    expect(text((await store.get("", "k"))!.value)).toBe("1");
    expect(first.meta.revision).toBeGreaterThan(0);
  });

  it("puts and deletes with if_revision only at that revision", async () => {
    const store = await newStore();
    const a = await store.put("", "k", input("1"));
    await expect(store.put("", "k", input("x"), { ifRevision: a.meta.revision + 1 })).rejects.toSatisfy(
      conflict,
    );
    const b = await store.put("", "k", input("2"), { ifRevision: a.meta.revision });
    expect(b.meta.revision).toBeGreaterThan(a.meta.revision);
    await expect(store.delete("", "k", { ifRevision: a.meta.revision })).rejects.toSatisfy(conflict);
    const deleted = await store.delete("", "k", { ifRevision: b.meta.revision });
    expect(deleted.deleted).toBe(true);
    expect(deleted.revision).toBeGreaterThan(b.meta.revision);
    await expect(store.put("", "k", input("3"), { ifRevision: b.meta.revision })).rejects.toThrow(
      /does not exist/,
    );
    expect(await store.delete("", "k")).toEqual({ deleted: false, revision: 0 });
  });

  it("refuses malformed conditions with INVALID_ARGUMENT", async () => {
    const store = await newStore();
    const invalid = (e: unknown) => isAnykvError(e, "INVALID_ARGUMENT");
    await expect(store.put("", "k", input("1"), { ifRevision: 0 })).rejects.toSatisfy(invalid);
    await expect(store.put("", "k", input("1"), { ifRevision: 1, ifAbsent: true })).rejects.toSatisfy(
      invalid,
    );
    await expect(store.delete("", "k", { ifRevision: 2 ** 60 })).rejects.toSatisfy(invalid);
  });

  it("counts expired keys as absent for if_absent, and as having no revision", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    const old = await store.put("", "k", input("old"), { ttlMs: 10 });
    c.advance(10);
    await expect(store.put("", "k", input("x"), { ifRevision: old.meta.revision })).rejects.toSatisfy(
      conflict,
    );
    const fresh = await store.put("", "k", input("new"), { ifAbsent: true });
    expect(fresh.meta.createdAt).toBe(c.now());
    expect(text((await store.get("", "k"))!.value)).toBe("new");
  });

  it("lets exactly one of many concurrent if_absent puts win", async () => {
    const store = await newStore();
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) => store.put("", "race", input(String(i)), { ifAbsent: true })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected" && conflict(r.reason))).toHaveLength(24);
  });
});

describe.each(storeFactories)("store batches (%s)", (_name, newStore) => {
  it("applies a batch atomically under one revision", async () => {
    const store = await newStore();
    await store.put("", "gone", input("x"));
    const { revision, results } = await store.write("", [
      { type: "put", key: "a", input: input("a") },
      { type: "put", key: "b", input: input("b"), ifAbsent: true },
      { type: "del", key: "gone" },
      { type: "del", key: "never" },
    ]);
    expect(results.map((r) => (r.type === "put" ? r.entry.meta.revision : r.revision))).toEqual([
      revision,
      revision,
      revision,
      0,
    ]);
    expect(results[2]).toMatchObject({ type: "del", deleted: true });
    expect(await collect(store.keys(""))).toEqual(["a", "b"]);
  });

  it("changes nothing when one condition of a batch fails", async () => {
    const store = await newStore();
    const k = await store.put("", "k", input("k"));
    const attempt = store.write("", [
      { type: "put", key: "new", input: input("n") },
      { type: "del", key: "k", ifRevision: k.meta.revision + 5 },
    ]);
    await expect(attempt).rejects.toSatisfy(conflict);
    expect(await collect(store.keys(""))).toEqual(["k"]);
    // A delete with if_absent is a guard: it passes only while the key is missing.
    await expect(
      store.write("", [
        { type: "put", key: "new", input: input("n") },
        { type: "del", key: "k", ifAbsent: true },
      ]),
    ).rejects.toSatisfy(conflict);
    await store.write("", [
      { type: "put", key: "new", input: input("n") },
      { type: "del", key: "missing", ifAbsent: true },
    ]);
    expect(await collect(store.keys(""))).toEqual(["k", "new"]);
  });

  it("refuses a batch naming a key twice, or a bad key, before writing", async () => {
    const store = await newStore();
    const dup = store.write("", [
      { type: "put", key: "a", input: input("1") },
      { type: "del", key: "a/./" },
    ]);
    await expect(dup).rejects.toSatisfy((e) => isAnykvError(e, "INVALID_ARGUMENT"));
    const bad = store.write("", [
      { type: "put", key: "ok", input: input("1") },
      { type: "put", key: "../x", input: input("1") },
    ]);
    await expect(bad).rejects.toSatisfy((e) => isAnykvError(e, "INVALID_KEY"));
    expect(await collect(store.keys(""))).toEqual([]);
  });

  it("applies writeEach item by item: failures are results, runs share a write", async () => {
    const store = await newStore();
    const existing = await store.put("", "taken", input("t"));
    const out = await store.writeEach("", [
      { type: "put", key: "a", input: input("1") },
      { type: "put", key: "b", input: input("2") },
      { type: "put", key: "../bad", input: input("x") },
      { type: "put", key: "taken", input: input("x"), ifAbsent: true },
      { type: "put", key: "a", input: input("again") },
      { type: "del", key: "b" },
      { type: "put", key: "taken", input: input("y"), ifRevision: existing.meta.revision },
    ]);
    const kinds = out.map((r) => (r instanceof Error ? r.code : r.type));
    expect(kinds).toEqual(["put", "put", "INVALID_KEY", "CONFLICT", "put", "del", "put"]);
    const [a, b] = out as OpResult[];
    expect(a?.type === "put" && b?.type === "put" && a.entry.meta.revision === b.entry.meta.revision).toBe(
      true,
    );
    expect(text((await store.get("", "a"))!.value)).toBe("again");
    expect(await store.exists("", "b")).toBe(false);
    expect(text((await store.get("", "taken"))!.value)).toBe("y");
  });

  it("deletes by prefix, exclusion and glob, and counts what it removed", async () => {
    const store = await newStore();
    for (const key of ["logs", "logs/a.json", "logs/b.txt", "logs/keep/c.json", "logsx", "other"]) {
      await store.put("", key, input(key));
    }
    expect(
      await store.deletePrefix("", { prefix: "logs", excludePrefix: "logs/keep", glob: "**/*.json" }),
    ).toBe(1);
    expect(await store.deletePrefix("", { prefix: "logs" })).toBe(3);
    expect(await collect(store.keys(""))).toEqual(["logsx", "other"]);
    for (let i = 0; i < 2500; i++) await store.put("big", `k/${String(i).padStart(5, "0")}`, input("v"));
    expect(await store.deletePrefix("big", {})).toBe(2500);
    expect(await collect(store.keys("big"))).toEqual([]);
  });
});

describe.each(storeFactories)("store listing order and cursors (%s)", (_name, newStore) => {
  const keys = ["a", "a/1", "a/2", "a/2/x", "ab", "b", "b/1"];
  const filled = async () => {
    const store = await newStore();
    for (const key of keys) await store.put("", key, input(key));
    return store;
  };

  it("lists in reverse, with prefixes", async () => {
    const store = await filled();
    expect(await collect(store.keys("", { reverse: true }))).toEqual([...keys].reverse());
    expect(await collect(store.keys("", { prefix: "a", reverse: true }))).toEqual([
      "a/2/x",
      "a/2",
      "a/1",
      "a",
    ]);
    expect(await collect(store.keys("", { prefix: "a", reverse: true, limit: 2 }))).toEqual(["a/2/x", "a/2"]);
  });

  it("pages with start_after in both directions", async () => {
    const store = await filled();
    expect(await collect(store.keys("", { startAfter: "a/2" }))).toEqual(["a/2/x", "ab", "b", "b/1"]);
    expect(await collect(store.keys("", { startAfter: "a/2", reverse: true }))).toEqual(["a/1", "a"]);
    expect(await collect(store.keys("", { prefix: "a", startAfter: "a" }))).toEqual(["a/1", "a/2", "a/2/x"]);
    expect(await collect(store.keys("", { prefix: "a", startAfter: "a/1", reverse: true }))).toEqual(["a"]);
    expect(await collect(store.keys("", { prefix: "a", startAfter: "zzz" }))).toEqual([]);
    // Paging through everything two at a time gives every key once.
    const pages: string[] = [];
    let cursor = "";
    for (;;) {
      const page = await collect(store.keys("", { limit: 2, startAfter: cursor }));
      if (page.length === 0) break;
      pages.push(...page);
      cursor = page.at(-1)!;
    }
    expect(pages).toEqual(keys);
  });
});

describe("splitLines", () => {
  const lines = async (...chunks: string[]) => {
    async function* source() {
      for (const c of chunks) yield new TextEncoder().encode(c);
    }
    return (await collect(splitLines(source()))).map(text);
  };

  it("splits like readline, without terminators, across chunk boundaries", async () => {
    expect(await lines("a\nb\n")).toEqual(["a", "b"]);
    expect(await lines("a\r\nb")).toEqual(["a", "b"]);
    expect(await lines("a\r", "\nb", "c\n\n", "d")).toEqual(["a", "bc", "", "d"]);
    expect(await lines("")).toEqual([]);
    expect(await lines("\n")).toEqual([""]);
  });
});

/**
 * Watches a backend's writes: `lost` counts those refused for a changed record (the races the
 * store lost), `most` the most that were in the backend at once (queued, or still writing).
 */
function watchWrites(backend: Backend) {
  const seen = { lost: 0, most: 0 };
  let inBackend = 0;
  const write = backend.write.bind(backend);
  backend.write = (...args) => {
    seen.most = Math.max(seen.most, ++inBackend);
    return write(...args)
      .catch((err: unknown) => {
        if (conflict(err)) seen.lost += 1;
        throw err;
      })
      .finally(() => inBackend--);
  };
  return seen;
}

describe.each(backendFactories.map((f) => [f.name, f] as const))(
  "writes of one hot key (%s)",
  (name, factory) => {
    it("take turns in one process: 64 concurrent puts of a key all win, in order, sharing group commits", async () => {
      const backend = await factory.create();
      const writes = watchWrites(backend);
      const store = new Store(backend, { sweepIntervalMs: 0 });
      const first = await store.put("", "hot", input("first"), { ttlMs: 60_000 });
      const puts = await Promise.all(
        Array.from({ length: 64 }, (_, i) => store.put("", "hot", input(String(i)))),
      );
      const revisions = puts.map((entry) => entry.meta.revision);
      // In the order they were called: each built on the put before it.
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(new Set(revisions).size).toBe(64);
      expect(text((await store.get("", "hot"))!.value)).toBe("63");
      expect(puts.every((entry) => entry.meta.createdAt === first.meta.createdAt)).toBe(true);
      // The first of them replaced the TTL'd put and took its expiry index entry ("x…") with it.
      expect(puts.every((entry) => entry.meta.expiresAt === undefined)).toBe(true);
      expect(await collect(backend.scan({ gte: "x", lt: "y" }))).toEqual([]);
      // LevelDB's group commit takes the writes of one key together. A shared backend's writes
      // commit one after the other, each on the record before it. (Memory commits at once.)
      if (backend.capabilities.shared) expect(writes.most).toBe(1);
      if (name.startsWith("leveldb")) expect(writes.most).toBeGreaterThan(8);
      // Puts and deletes of the key, all at once: each sees the one before it, in order.
      const mixed = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          i % 3 === 2 ? store.delete("", "hot") : store.put("", "hot", input(`m${i}`)),
        ),
      );
      const deletes = mixed.filter((_, i) => i % 3 === 2) as Array<{ deleted: boolean }>;
      expect(deletes.every((result) => result.deleted)).toBe(true);
      const order = mixed.map((r) => ("meta" in r ? r.meta.revision : r.revision));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(await store.get("", "hot")).toBeUndefined();
      expect(writes.lost).toBe(0);
      await store.close();
    });

    it("does not write a put whose call was cancelled while it waited for its turn", async () => {
      const backend = await factory.create();
      // The first write is held in the backend until released.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const write = backend.write.bind(backend);
      let writes = 0;
      backend.write = async (...args) => {
        writes += 1;
        if (writes === 1) await held;
        return write(...args);
      };
      const store = new Store(backend, { sweepIntervalMs: 0 });
      const slow = store.put("", "k", input("first"));
      const call = new AbortController();
      const queued = store.put("", "k", input("cancelled"), {}, { signal: call.signal });
      const after = store.put("", "k", input("last"));
      call.abort(new Error("the client went away"));
      // Its turn may come before the first put settles: once that one is queued in the backend.
      const refused = expect(queued).rejects.toThrow("the client went away");
      release();
      await slow;
      await refused;
      await after;
      expect(text((await store.get("", "k"))!.value)).toBe("last");
      // The backend saw the first put and the last, nothing between them.
      expect(writes).toBe(2);
      await store.close();
    });
  },
);
