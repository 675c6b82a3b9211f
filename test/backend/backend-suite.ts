import { describe, expect, it } from "vitest";
import { KEY_PAGE, type NewRecord, type ScanRange } from "../../src/backend/backend.js";
import { isAnykvError } from "../../src/errors.js";
import type { BackendFactory } from "../support/backends.js";
import { changeLogSuite } from "./change-log-suite.js";

export type { BackendFactory } from "../support/backends.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const record = (text: string, extra: Partial<NewRecord["meta"]> = {}): NewRecord => ({
  value: bytes(text),
  meta: {
    codec: "text",
    kind: "text",
    model: "",
    contentType: "text/plain",
    createdAt: 1,
    updatedAt: 2,
    ...extra,
  },
});
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

/**
 * The backend conformance suite: every backend runs it, and it runs again on
 * a prefixed (namespaced) view. It branches on capabilities, never on names.
 * The contract's change log, revision, compaction, leases and snapshots are
 * in change-log-suite.ts, which this runs too.
 */
export function backendSuite(factory: BackendFactory): void {
  changeLogSuite(factory);
  describe(`backend conformance: ${factory.name}`, () => {
    it("returns undefined for a missing key", async () => {
      const b = await factory.create();
      expect(await b.get("nope")).toBeUndefined();
      await b.close();
    });

    it("reads several keys in one getMany, in order, with undefined for missing ones", async () => {
      const b = await factory.create();
      await b.write([
        { type: "put", key: "m1", record: record("one") },
        { type: "put", key: "m3", record: record("three") },
      ]);
      const got = await b.getMany(["m3", "m2", "m1"]);
      expect(got.map((r) => r && new TextDecoder().decode(r.value))).toEqual(["three", undefined, "one"]);
      expect(await b.getMany([])).toEqual([]);
      await b.close();
    });

    it("stores bytes and metadata together and assigns increasing revisions", async () => {
      const b = await factory.create();
      const r1 = await b.write([{ type: "put", key: "a", record: record("one", { expiresAt: 99 }) }]);
      const r2 = await b.write([{ type: "put", key: "a", record: record("two") }]);
      expect(r2).toBeGreaterThan(r1);
      const got = await b.get("a");
      expect(new TextDecoder().decode(got!.value)).toBe("two");
      expect(got!.meta).toMatchObject({
        codec: "text",
        kind: "text",
        createdAt: 1,
        updatedAt: 2,
        revision: r2,
      });
      expect(got!.meta.expiresAt).toBeUndefined();
      await b.close();
    });

    it("keeps binary values byte for byte, including empty ones", async () => {
      const b = await factory.create();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await b.write([
        { type: "put", key: "bin", record: { ...record(""), value: all } },
        { type: "put", key: "empty", record: record("") },
      ]);
      expect([...(await b.get("bin"))!.value]).toEqual([...all]);
      expect((await b.get("empty"))!.value.length).toBe(0);
      await b.close();
    });

    it("keeps a chunk manifest and an expiry in the metadata as they are", async () => {
      const b = await factory.create();
      const chunks = { id: "a1", count: 3, chunkBytes: 1024, size: 2100, sha256: "00ff" };
      await b.write([{ type: "put", key: "big", record: record("", { chunks, expiresAt: 123 }) }]);
      expect((await b.get("big"))!.meta).toMatchObject({ chunks, expiresAt: 123 });
      await b.close();
    });

    it("answers an empty write with a new revision (the store reads its revision so)", async () => {
      const b = await factory.create();
      const first = await b.write([]);
      const second = await b.write([{ type: "put", key: "k", record: record("x") }]);
      expect(second).toBeGreaterThan(first);
      await b.close();
    });

    it("applies a multi-op write atomically with one revision", async () => {
      const b = await factory.create();
      await b.write([{ type: "put", key: "gone", record: record("x") }]);
      const rev = await b.write([
        { type: "put", key: "k1", record: record("1") },
        { type: "put", key: "k2", record: record("2") },
        { type: "del", key: "gone" },
      ]);
      expect((await b.get("k1"))!.meta.revision).toBe(rev);
      expect((await b.get("k2"))!.meta.revision).toBe(rev);
      expect(await b.get("gone")).toBeUndefined();
      await b.close();
    });

    it("refuses a write whose condition fails and changes nothing", async () => {
      const b = await factory.create();
      const rev = await b.write([{ type: "put", key: "c", record: record("old") }]);
      const attempt = b.write(
        [
          { type: "put", key: "c", record: record("new") },
          { type: "put", key: "other", record: record("x") },
        ],
        [{ key: "c", revision: rev + 100 }],
      );
      await expect(attempt).rejects.toSatisfy((e) => isAnykvError(e, "CONFLICT"));
      expect(new TextDecoder().decode((await b.get("c"))!.value)).toBe("old");
      expect(await b.get("other")).toBeUndefined();
      await expect(b.write([], [{ key: "c", revision: null }])).rejects.toSatisfy((e) =>
        isAnykvError(e, "CONFLICT"),
      );
      await b.write([{ type: "put", key: "c", record: record("newer") }], [{ key: "c", revision: rev }]);
      await b.write([{ type: "put", key: "fresh", record: record("f") }], [{ key: "fresh", revision: null }]);
      expect(new TextDecoder().decode((await b.get("fresh"))!.value)).toBe("f");
      await b.close();
    });

    it("lets exactly one of many concurrent absent-conditioned writes win", async () => {
      const b = await factory.create();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          b.write(
            [{ type: "put", key: "race", record: record(String(i)) }],
            [{ key: "race", revision: null }],
          ),
        ),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      await b.close();
    });

    it("scans in code point order, with ranges, reverse and limit", async () => {
      const b = await factory.create();
      expect(b.capabilities.orderedScan).toBe(true);
      const keys = ["b", "a/1", "a", "a/2", "\u{1F600}", "\uFFFD", "c"];
      for (const key of keys) await b.write([{ type: "put", key, record: record(key) }]);
      const all = (await collect(b.scan({}))).map(([k]) => k);
      expect(all).toEqual(["a", "a/1", "a/2", "b", "c", "\uFFFD", "\u{1F600}"]);
      const range = (await collect(b.scan({ gte: "a/", lt: "a0" }))).map(([k]) => k);
      expect(range).toEqual(["a/1", "a/2"]);
      const reversed = (await collect(b.scan({ reverse: true, limit: 2 }))).map(([k]) => k);
      expect(reversed).toEqual(["\u{1F600}", "\uFFFD"]);
      await b.close();
    });

    it("lists the same keys as scan, in pages, without their records", async () => {
      const b = await factory.create();
      const keys = ["b", "a/1", "a", "a/2", "\u{1F600}", "\uFFFD", "c"];
      for (const key of keys) await b.write([{ type: "put", key, record: record(key) }]);
      const flat = async (range: ScanRange) => (await collect(b.scanKeys(range))).flat();
      for (const range of [{}, { gte: "a/", lt: "a0" }, { reverse: true, limit: 2 }, { gte: "d" }]) {
        expect(await flat(range)).toEqual((await collect(b.scan(range))).map(([k]) => k));
      }
      await expect(collect(b.scanKeys({ gte: "\u{1F601}" }))).resolves.toEqual([]);
      // More keys than one page: no page is empty or larger than KEY_PAGE, and together they are every key.
      const many = Array.from({ length: KEY_PAGE + 5 }, (_, i) => `m/${String(i).padStart(5, "0")}`);
      await b.write(many.map((key) => ({ type: "put", key, record: record("v") })));
      const pages = await collect(b.scanKeys({ gte: "m/", lt: "m0" }));
      expect(pages.length).toBeGreaterThan(1);
      for (const page of pages) expect(page.length).toBeGreaterThan(0);
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(KEY_PAGE);
      expect(pages.flat()).toEqual(many);
      await b.close();
    });

    it("stops a scan when its signal aborts", async () => {
      const b = await factory.create();
      for (let i = 0; i < 10; i++) await b.write([{ type: "put", key: `k${i}`, record: record("v") }]);
      const controller = new AbortController();
      const seen: string[] = [];
      try {
        for await (const [key] of b.scan({ signal: controller.signal })) {
          seen.push(key);
          if (seen.length === 3) controller.abort();
        }
      } catch (err) {
        expect((err as Error).name).toMatch(/Abort/);
      }
      expect(seen.length).toBe(3);
      await b.close();
    });

    it("fails with UNAVAILABLE after close", async () => {
      const b = await factory.create();
      await b.close();
      await expect(b.get("x")).rejects.toSatisfy((e) => isAnykvError(e, "UNAVAILABLE"));
    });

    it("fails writes, getMany and scans with UNAVAILABLE after close too", async () => {
      const b = await factory.create();
      await b.close();
      const unavailable = (e: unknown) => isAnykvError(e, "UNAVAILABLE");
      await expect(b.write([{ type: "put", key: "x", record: record("v") }])).rejects.toSatisfy(unavailable);
      await expect(b.write([{ type: "del", key: "x" }], [{ key: "x", revision: null }])).rejects.toSatisfy(
        unavailable,
      );
      await expect(b.getMany(["x"])).rejects.toSatisfy(unavailable);
      await expect(collect(b.scan({}))).rejects.toSatisfy(unavailable);
    });

    it("ends a scan in progress with UNAVAILABLE when the backend closes", async () => {
      const b = await factory.create();
      for (let i = 0; i < 3; i++) await b.write([{ type: "put", key: `k${i}`, record: record("v") }]);
      const scan = b.scan({})[Symbol.asyncIterator]();
      await scan.next();
      await b.close();
      const rest = (async () => {
        for (let r = await scan.next(); !r.done; r = await scan.next());
      })();
      // A backend that reads from a snapshot may finish the scan; one that cannot must say UNAVAILABLE.
      await rest.catch((e: unknown) => expect(isAnykvError(e, "UNAVAILABLE")).toBe(true));
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it("keeps data and the revision counter across a reopen", async () => {
        const b = await factory.create();
        expect(b.capabilities.persistent).toBe(true);
        const rev = await b.write([{ type: "put", key: "p", record: record("kept") }]);
        const again = await reopen(b);
        expect(new TextDecoder().decode((await again.get("p"))!.value)).toBe("kept");
        expect(await again.write([{ type: "put", key: "q", record: record("q") }])).toBeGreaterThan(rev);
        await again.close();
      });
    }
  });
}
