import { describe, expect, it } from "vitest";
import { isAnykvError } from "../../src/errors.js";
import {
  manualClock as clock,
  collect,
  textInput as input,
  storeFactories,
} from "../support/store-fixtures.js";

describe.each(storeFactories)("store (%s)", (_name, newStore) => {
  it("keeps created_at across overwrites and bumps the revision", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    const first = await store.put("", "k", input("1"));
    c.advance(10);
    const second = await store.put("", "k", input("2"));
    expect(second.meta.createdAt).toBe(first.meta.createdAt);
    expect(second.meta.updatedAt).toBe(first.meta.updatedAt + 10);
    expect(second.meta.revision).toBeGreaterThan(first.meta.revision);
  });

  it("isolates namespaces", async () => {
    const store = await newStore();
    await store.put("a", "k", input("in a"));
    expect(await store.exists("b", "k")).toBe(false);
    expect(await store.exists("", "k")).toBe(false);
    expect(await collect(store.keys("a"))).toEqual(["k"]);
    expect(await collect(store.keys("b"))).toEqual([]);
  });

  it("hides an expired key at once and sweeps it later", async () => {
    const c = clock();
    const store = await newStore({ now: c.now });
    await store.put("", "short", input("x"), { ttlMs: 100 });
    await store.put("", "forever", input("y"), { ttlMs: 0 });
    expect(await store.exists("", "short")).toBe(true);
    c.advance(100);
    expect(await store.get("", "short")).toBeUndefined();
    expect(await collect(store.keys(""))).toEqual(["forever"]);
    expect(await store.pop("", "short")).toBeUndefined();
    await store.put("", "short2", input("x"), { ttlMs: 5 });
    c.advance(5);
    // "short" was already removed by the pop; the sweep takes "short2" and leaves "forever".
    expect(await store.sweepExpired()).toBe(1);
    expect((await collect(store.backend.scan({}))).map(([key]) => key)).toEqual(["d\u0000forever"]);
  });

  it("applies the default TTL unless a put says otherwise", async () => {
    const c = clock();
    const store = await newStore({ now: c.now, defaultTtlMs: 50 });
    const a = await store.put("", "a", input("a"));
    const b = await store.put("", "b", input("b"), { ttlMs: 0 });
    expect(a.meta.expiresAt).toBe(c.now() + 50);
    expect(b.meta.expiresAt).toBeUndefined();
  });

  it("pops atomically: of many concurrent pops exactly one gets the value", async () => {
    const store = await newStore();
    await store.put("", "once", input("x"));
    const results = await Promise.all(Array.from({ length: 10 }, () => store.pop("", "once")));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await store.exists("", "once")).toBe(false);
  });

  it("keeps the value when the pop's inspection fails", async () => {
    const store = await newStore();
    await store.put("", "keep", input("x"));
    await expect(
      store.pop("", "keep", () => {
        throw new Error("cannot decode");
      }),
    ).rejects.toThrow("cannot decode");
    expect(await store.exists("", "keep")).toBe(true);
  });

  it("lists with path-segment prefixes, exclusions, globs and limits", async () => {
    const store = await newStore();
    for (const key of ["foo", "foo/bar/baz.json", "foo/a.json", "food", "foo-x", "foo/skip/x.json", "zzz"]) {
      await store.put("", key, input(key));
    }
    expect(await collect(store.keys("", { prefix: "foo" }))).toEqual([
      "foo",
      "foo/a.json",
      "foo/bar/baz.json",
      "foo/skip/x.json",
    ]);
    expect(await collect(store.keys("", { prefix: "foo", excludePrefix: "foo/skip" }))).toEqual([
      "foo",
      "foo/a.json",
      "foo/bar/baz.json",
    ]);
    expect(await collect(store.keys("", { prefix: "foo", glob: "**/*.json" }))).toEqual([
      "foo/a.json",
      "foo/bar/baz.json",
      "foo/skip/x.json",
    ]);
    expect(await collect(store.keys("", { prefix: "foo", glob: "*.json" }))).toEqual(["foo/a.json"]);
    // The glob matches below the prefix: "foo" itself is not one of "foo"'s children.
    expect(await collect(store.keys("", { prefix: "foo", glob: "*" }))).toEqual(["foo/a.json"]);
    expect(await collect(store.keys("", { prefix: "foo", glob: "**" }))).toEqual([
      "foo/a.json",
      "foo/bar/baz.json",
      "foo/skip/x.json",
    ]);
    expect(await collect(store.keys("", { limit: 2 }))).toEqual(["foo", "foo-x"]);
  });

  it("rejects bad keys before touching the backend", async () => {
    const store = await newStore();
    await expect(store.put("", "../etc/passwd", input("x"))).rejects.toSatisfy((e) =>
      isAnykvError(e, "INVALID_KEY"),
    );
    expect(await collect(store.keys(""))).toEqual([]);
  });
});
