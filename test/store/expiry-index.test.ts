import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { isAnykvError } from "../../src/errors.js";
import type { ChangeEvent } from "../../src/store/store.js";
import { MAX_EXPIRY_MS } from "../../src/store/store.js";
import {
  manualClock as clock,
  collect,
  textInput as input,
  storeFactories,
} from "../support/store-fixtures.js";

/** The expiry index entries: "x<15-digit time><namespace>\0<key>". */
const indexKeys = async (backend: Backend) =>
  (await collect(backend.scan({ gte: "x", lt: "y" }))).map(([key]) => key);
const at = (time: number, namespace: string, key: string) =>
  `x${String(time).padStart(15, "0")}${namespace}\u0000${key}`;

describe.each(storeFactories)("expiry index (%s)", (_name, newStore) => {
  it("adds an entry with each TTL'd put, in the same write, and moves it on rewrite", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    await store.put("ns", "a", input("1"), { ttlMs: 100 });
    await store.put("ns", "forever", input("1"));
    expect(await indexKeys(store.backend)).toEqual([at(c.now() + 100, "ns", "a")]);
    c.advance(10);
    await store.put("ns", "a", input("2"), { ttlMs: 100 });
    expect(await indexKeys(store.backend)).toEqual([at(c.now() + 100, "ns", "a")]);
    await store.put("ns", "a", input("3"), { ttlMs: 0 });
    expect(await indexKeys(store.backend)).toEqual([]);
  });

  it("removes the entry on delete, pop and batch delete", async () => {
    const store = await newStore();
    await store.put("", "d", input("1"), { ttlMs: 10_000 });
    await store.put("", "p", input("1"), { ttlMs: 10_000 });
    await store.put("", "b", input("1"), { ttlMs: 10_000 });
    expect(await indexKeys(store.backend)).toHaveLength(3);
    await store.delete("", "d");
    await store.pop("", "p");
    await store.write("", [{ type: "del", key: "b" }]);
    expect(await indexKeys(store.backend)).toEqual([]);
  });

  it("sweeps only due keys, leaves rewritten keys alone, and emits expire events", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    const events: ChangeEvent[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      for await (const group of store.watch("", { signal: abort.signal })) events.push(...group.events);
    })();
    for (let i = 0; i < 1200; i++) await store.put("", `k/${i}`, input("x"), { ttlMs: 50 + (i % 2) * 1000 });
    await store.put("", "rewritten", input("old"), { ttlMs: 50 });
    await store.put("", "rewritten", input("new"), { ttlMs: 0 });
    c.advance(100);
    // Reads the index only: a backend whose record scan fails still sweeps.
    const scan = store.backend.scan.bind(store.backend);
    store.backend.scan = (range) => {
      if (range.gte === "d") throw new Error("the sweep scanned the records");
      return scan(range);
    };
    expect(await store.sweepExpired()).toBe(600);
    expect(await store.get("", "rewritten")).toBeDefined();
    expect(await collect(store.keys("", { prefix: "k" }))).toHaveLength(600);
    expect(await indexKeys(store.backend)).toHaveLength(600);
    // The watch tails the change log: its events come as the tail reads them.
    await expect.poll(() => events.filter((e) => e.type === "expire").length, { timeout: 10_000 }).toBe(600);
    abort.abort();
    await watching;
    const expired = events.filter((e) => e.type === "expire");
    expect(expired).toHaveLength(600);
    expect(expired.every((e) => Number(e.key.slice(2)) % 2 === 0)).toBe(true);
  });

  it("lists live keys without reading records, and reads them when too many are due", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    await store.put("ns", "a", input("1"), { ttlMs: 50 });
    await store.put("ns", "b", input("1"));
    await store.put("ns", "c", input("1"), { ttlMs: 5000 });
    await store.put("other", "b", input("1"), { ttlMs: 50 });
    c.advance(100);
    let recordScans = 0;
    const scan = store.backend.scan.bind(store.backend);
    store.backend.scan = (range) => {
      if (range.gte?.startsWith("d")) recordScans++;
      return scan(range);
    };
    // Not swept yet: the due keys are left out by the expiry index, not by reading records.
    expect(await collect(store.keys("ns"))).toEqual(["b", "c"]);
    expect(await collect(store.keys("ns", { limit: 1, reverse: true }))).toEqual(["c"]);
    expect(await collect(store.keys("other"))).toEqual([]);
    expect(recordScans).toBe(0);
    // More due entries than a listing reads up front (10,000): each record's expiry decides.
    const many = Array.from({ length: 10_001 }, (_, i) => ({
      type: "put" as const,
      key: `k${i}`,
      input: input("x"),
      ttlMs: 10,
    }));
    await store.write("many", many);
    await store.put("many", "live", input("1"));
    c.advance(100);
    expect(await collect(store.keys("many"))).toEqual(["live"]);
    expect(await collect(store.keys("ns"))).toEqual(["b", "c"]);
    expect(recordScans).toBe(2);
  });

  it("removes index entries whose record is gone, and the full-scan sweep agrees", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    await store.put("", "a", input("1"), { ttlMs: 5 });
    // An index entry without its record (as a bug or an older version might leave).
    await store.backend.write([
      { type: "put", key: at(c.now() + 1, "", "ghost"), record: { value: new Uint8Array(), meta: meta() } },
    ]);
    c.advance(10);
    expect(await store.sweepExpired({ scan: true })).toBe(1);
    expect(await store.sweepExpired()).toBe(0);
    expect(await indexKeys(store.backend)).toEqual([]);
  });

  it("answers a conflicting pop while a sweep runs without losing either", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    await store.put("", "a", input("1"), { ttlMs: 5 });
    c.advance(10);
    const [swept, popped] = await Promise.all([store.sweepExpired(), store.pop("", "a")]);
    expect(popped).toBeUndefined();
    expect(swept).toBeLessThanOrEqual(1);
    expect(await indexKeys(store.backend)).toEqual([]);
  });

  it("refuses a TTL past the index's 15-digit times instead of sweeping the key at once", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    // 1e33 prints as "1e+33": its index entry would sort before every real time, due at once.
    const refused = store.put("", "forever", input("1"), { ttlMs: 1e33 });
    await expect(refused).rejects.toSatisfy((e) => isAnykvError(e, "INVALID_ARGUMENT"));
    await expect(store.put("", "inf", input("1"), { ttlMs: Number.POSITIVE_INFINITY })).rejects.toThrow();
    // The longest wire Duration (10000 years) ends after the largest Timestamp: refused too.
    const tenThousandYears = store.put("", "long", input("1"), { ttlMs: 315_576_000_000 * 1000 });
    await expect(tenThousandYears).rejects.toThrow(/after 9999-12-31/);
    // Up to 9999-12-31T23:59:59.999Z is fine, and not due.
    await store.put("", "long", input("1"), { ttlMs: MAX_EXPIRY_MS - c.now() });
    expect(await store.sweepExpired()).toBe(0);
    expect(await store.exists("", "long")).toBe(true);
  });
});

const meta = () => ({ codec: "", kind: "", model: "", contentType: "", createdAt: 0, updatedAt: 0 });
