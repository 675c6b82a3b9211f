import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type Backend,
  type ChangeEntry,
  type ChangePage,
  type NewRecord,
  UPLOAD_LEASE_PREFIX,
} from "../../src/backend/backend.js";
import { isAnykvError } from "../../src/errors.js";
import type { BackendFactory } from "../support/backends.js";
import { readUntil } from "../support/read-until.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const record = (text: string): NewRecord => ({
  value: encoder.encode(text),
  meta: { codec: "text", kind: "text", model: "", contentType: "", createdAt: 1, updatedAt: 2 },
});
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const entriesOf = (pages: readonly ChangePage[]) => pages.flatMap((p) => p.entries);
const text = (entry: ChangeEntry) => decoder.decode(entry.change);
const compacted = (e: unknown) => isAnykvError(e, "COMPACTED");
const unavailable = (e: unknown) => isAnykvError(e, "UNAVAILABLE");
/** Both kinds of lease name (backend.ts, UPLOAD_LEASE_PREFIX): a backend may keep them apart. */
const leaseKinds = [
  ["a few long-held leases", () => `lease-${randomUUID()}`],
  ["many upload leases", () => `${UPLOAD_LEASE_PREFIX}${randomUUID()}`],
] as const;

/**
 * The contract's change log, revision, compaction, leases and snapshots (backend.ts), for any
 * backend factory. Keys and log payloads carry a random tag, and every case branches on the
 * backend's capabilities, never on its name.
 */
export function changeLogSuite(factory: BackendFactory): void {
  describe(`backend change log: ${factory.name}`, () => {
    it("declares every capability the contract names", async () => {
      const b = await factory.create();
      for (const name of ["orderedScan", "persistent", "shared", "changeFeed", "nativeTtl", "snapshots"])
        expect(typeof (b.capabilities as unknown as Record<string, unknown>)[name]).toBe("boolean");
      expect(typeof b.snapshot === "function").toBe(b.capabilities.snapshots);
      await b.close();
    });

    it("reports the latest committed revision", async () => {
      const b = await factory.create();
      const start = await b.revision();
      const r1 = await b.write([{ type: "put", key: `k${randomUUID()}`, record: record("a") }]);
      expect(r1).toBeGreaterThan(start);
      expect(await b.revision()).toBe(r1);
      const r2 = await b.write([]);
      expect(await b.revision()).toBe(r2);
      await b.close();
    });

    it("appends a write's change under its revision, in the same write, and only when given", async () => {
      const b = await factory.create();
      if (!b.capabilities.changeFeed) {
        await b.close();
        return;
      }
      const tag = randomUUID();
      const before = await b.revision();
      const r1 = await b.write(
        [{ type: "put", key: `a${tag}`, record: record("1") }],
        [],
        encoder.encode(`one${tag}`),
      );
      const r2 = await b.write([{ type: "put", key: `b${tag}`, record: record("2") }]);
      const r3 = await b.write([], [], encoder.encode(`three${tag}`));
      // A refused write appends nothing.
      await expect(
        b.write(
          [{ type: "put", key: `a${tag}`, record: record("x") }],
          [{ key: `a${tag}`, revision: null }],
          encoder.encode("refused"),
        ),
      ).rejects.toSatisfy((e) => isAnykvError(e, "CONFLICT"));
      const pages = await collect(b.changes(before));
      expect(entriesOf(pages).map((e) => [e.revision, text(e)])).toEqual([
        [r1, `one${tag}`],
        [r3, `three${tag}`],
      ]);
      expect(pages.at(-1)!.revision).toBeGreaterThanOrEqual(r3);
      expect(r2).toBeGreaterThan(r1);
      // From a later point, only what follows it.
      expect(entriesOf(await collect(b.changes(r1))).map(text)).toEqual([`three${tag}`]);
      await b.close();
    });

    it("yields a first page at once, even with nothing new, and ends at the current revision without follow", async () => {
      const b = await factory.create();
      const now = await b.write([]);
      const pages = await collect(b.changes(now));
      expect(pages.length).toBeGreaterThanOrEqual(1);
      expect(entriesOf(pages)).toEqual([]);
      expect(pages.at(-1)!.revision).toBeGreaterThanOrEqual(now);
      await b.close();
    });

    it("reads more entries than one page, in order, with each page's revision covering it", async () => {
      const b = await factory.create();
      const before = await b.revision();
      const revisions = await Promise.all(
        Array.from({ length: 600 }, (_, i) => b.write([], [], encoder.encode(String(i)))),
      );
      const pages = await collect(b.changes(before));
      const entries = entriesOf(pages);
      expect(entries.map((e) => e.revision)).toEqual(revisions);
      expect(entries.map(text)).toEqual(revisions.map((_, i) => String(i)));
      let last = before;
      for (const page of pages) {
        for (const e of page.entries) expect(e.revision).toBeLessThanOrEqual(page.revision);
        expect(page.revision).toBeGreaterThanOrEqual(last);
        last = page.revision;
      }
      await b.close();
    });

    it("follows new commits as they land, with progress pages while the log is quiet", async () => {
      const b = await factory.create();
      const controller = new AbortController();
      const start = await b.revision();
      const follow = b
        .changes(start, { follow: true, progressMs: 50, signal: controller.signal })
        [Symbol.asyncIterator]();
      // Quiet: pages keep coming, without entries, at the current revision.
      const quiet = await readUntil(follow, (seen) => seen.length >= 3);
      for (const page of quiet) expect(page).toEqual({ entries: [], revision: start });
      const r = await b.write([], [], encoder.encode("landed"));
      const seen = await readUntil(follow, (s) => entriesOf(s).length > 0);
      expect(entriesOf(seen).map((e) => [e.revision, text(e)])).toEqual([[r, "landed"]]);
      expect(seen.at(-1)!.revision).toBeGreaterThanOrEqual(r);
      // Aborting ends the iteration without an error.
      controller.abort();
      const rest = await readUntil(follow, () => false);
      expect(entriesOf(rest)).toEqual([]);
      await b.close();
    });

    it("ends a follow with UNAVAILABLE when the backend closes", async () => {
      const b = await factory.create();
      const follow = b
        .changes(await b.revision(), { follow: true, progressMs: 60_000 })
        [Symbol.asyncIterator]();
      await follow.next();
      const next = follow.next().then(
        () => "no error",
        (e: unknown) => e,
      );
      await b.close();
      expect(unavailable(await next)).toBe(true);
      await expect(collect(b.changes(0))).rejects.toSatisfy(unavailable);
    });

    it("compacts up to a point every reader then respects, and never moves it back", async () => {
      const b = await factory.create();
      const before = await b.revision();
      const revisions: number[] = [];
      for (let i = 0; i < 5; i++) revisions.push(await b.write([], [], encoder.encode(`c${i}`)));
      const point = revisions[2]!;
      await b.compact(point);
      expect(await b.compacted()).toBe(point);
      expect(entriesOf(await collect(b.changes(point))).map(text)).toEqual(["c3", "c4"]);
      const err = await collect(b.changes(before)).catch((e: unknown) => e);
      expect(compacted(err)).toBe(true);
      expect((err as { metadata: Record<string, string> }).metadata.oldestRevision).toBe(String(point + 1));
      await b.compact(revisions[0]!);
      expect(await b.compacted()).toBe(point);
      // Past the current revision it stops at the current revision.
      await b.compact(revisions[4]! + 1000);
      expect(await b.compacted()).toBe(revisions[4]);
      const r = await b.write([], [], encoder.encode("after"));
      expect(entriesOf(await collect(b.changes(revisions[4]!))).map((e) => e.revision)).toEqual([r]);
      await b.close();
    });

    it("ends a follow with COMPACTED when compaction passes its position", async () => {
      const b = await factory.create();
      const start = await b.revision();
      // A slow reader: it reads one page, then compaction passes what it has not read.
      for (let i = 0; i < 300; i++) await b.write([], [], encoder.encode(`s${i}`));
      const follow = b.changes(start, { follow: true, progressMs: 50 })[Symbol.asyncIterator]();
      const first = await follow.next();
      expect(first.done).toBe(false);
      const top = await b.revision();
      await b.compact(top);
      const rest = readUntil(follow, (seen) => seen.some((p) => p.revision >= top));
      // Either the reader already had everything up to `top` in its first page, or it is told.
      if (first.value!.revision >= top) await rest;
      else await expect(rest).rejects.toSatisfy(compacted);
      await b.close();
    });

    it.each(leaseKinds)(
      "leases a name to one holder at a time, renews, expires and releases (%s)",
      async (_, newName) => {
        const b = await factory.create();
        const name = newName();
        expect(await b.lease(name, "a", 200)).toBe(true);
        expect(await b.lease(name, "b", 200)).toBe(false);
        expect(await b.lease(name, "a", 200)).toBe(true);
        await b.releaseLease(name, "b"); // not b's: nothing happens
        expect(await b.lease(name, "b", 200)).toBe(false);
        await b.releaseLease(name, "a");
        expect(await b.lease(name, "b", 100)).toBe(true);
        await new Promise((r) => setTimeout(r, 250));
        expect(await b.lease(name, "a", 1000)).toBe(true);
        expect(await b.lease(`${name}-other`, "b", 1000)).toBe(true);
        await b.close();
      },
    );

    it("reads a consistent point in time from a snapshot (or offers none)", async () => {
      const b = await factory.create();
      const snapshotOf = b.snapshot?.bind(b);
      if (!b.capabilities.snapshots || !snapshotOf) {
        expect(b.snapshot).toBeUndefined();
        await b.close();
        return;
      }
      const tag = randomUUID();
      await b.write([{ type: "put", key: `s/${tag}/1`, record: record("old") }]);
      const r = await b.write([{ type: "put", key: `s/${tag}/2`, record: record("two") }]);
      const snapshot = await snapshotOf();
      expect(snapshot.revision).toBe(r);
      await b.write([
        { type: "put", key: `s/${tag}/1`, record: record("new") },
        { type: "del", key: `s/${tag}/2` },
        { type: "put", key: `s/${tag}/3`, record: record("three") },
      ]);
      const seen = await collect(snapshot.scan({ gte: `s/${tag}/`, lt: `s/${tag}0` }));
      expect(seen.map(([k, rec]) => [k, decoder.decode(rec.value)])).toEqual([
        [`s/${tag}/1`, "old"],
        [`s/${tag}/2`, "two"],
      ]);
      await snapshot.close();
      await b.close();
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it("keeps the change log and the compaction point across a reopen", async () => {
        let b: Backend = await factory.create();
        const before = await b.revision();
        const r1 = await b.write([], [], encoder.encode("kept1"));
        const r2 = await b.write([], [], encoder.encode("kept2"));
        await b.compact(r1);
        b = await reopen(b);
        expect(await b.revision()).toBe(r2);
        expect(await b.compacted()).toBe(r1);
        expect(entriesOf(await collect(b.changes(r1))).map(text)).toEqual(["kept2"]);
        await expect(collect(b.changes(before))).rejects.toSatisfy(compacted);
        await b.close();
      });
    }

    if (factory.attach) {
      const attach = factory.attach;
      it("shares revisions, the change log and leases with a second handle (another process)", async () => {
        const a = await factory.create();
        const b = await attach(a);
        expect(a.capabilities.shared).toBe(true);
        const controller = new AbortController();
        const follow = a
          .changes(await a.revision(), { follow: true, progressMs: 100, signal: controller.signal })
          [Symbol.asyncIterator]();
        await follow.next();
        const r = await b.write([], [], encoder.encode("from b"));
        const seen = await readUntil(follow, (s) => entriesOf(s).length > 0);
        expect(entriesOf(seen).map((e) => [e.revision, text(e)])).toEqual([[r, "from b"]]);
        expect(await a.revision()).toBeGreaterThanOrEqual(r);
        for (const [, newName] of leaseKinds) {
          const name = newName();
          expect(await a.lease(name, "a", 5000)).toBe(true);
          expect(await b.lease(name, "b", 5000)).toBe(false);
          // Given up through a, it is b's at once.
          await a.releaseLease(name, "a");
          expect(await b.lease(name, "b", 5000)).toBe(true);
          expect(await a.lease(name, "a", 5000)).toBe(false);
        }
        controller.abort();
        await b.close();
        await a.close();
      });
    }
  });
}
