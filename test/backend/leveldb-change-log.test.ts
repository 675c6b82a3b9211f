import { join } from "node:path";
import { Level } from "level";
import { describe, expect, it } from "vitest";
import type { Backend, ChangePage } from "../../src/backend/backend.js";
import { openLevelBackend } from "../../src/backend/leveldb-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { tempDir } from "../support/temp-dir.js";

// The LevelDB backend's own log layout (leveldb-change-log.ts): one entry per group commit,
// and the one-entry-per-write layout of older data directories still read and compacted.
// The change-log contract itself is change-log-suite.ts's, run on LevelDB in backends.test.ts.
const root = tempDir();
let n = 0;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const logKey = (prefix: string, revision: number) => prefix + String(revision).padStart(16, "0");

async function changes(b: Backend, after: number): Promise<Array<[number, string]>> {
  const pages: ChangePage[] = [];
  for await (const page of b.changes(after)) pages.push(page);
  return pages.flatMap((p) => p.entries.map((e): [number, string] => [e.revision, decoder.decode(e.change)]));
}

/** The keys of a key space (its one-letter prefix), read with `level` directly. */
async function keysOf(location: string, space: string): Promise<string[]> {
  const db = new Level<string, Uint8Array>(location, { valueEncoding: "view" });
  try {
    return await db.keys({ gte: space, lt: String.fromCharCode(space.charCodeAt(0) + 1) }).all();
  } finally {
    await db.close();
  }
}

async function storedValue(location: string, key: string): Promise<string | undefined> {
  const db = new Level<string, Uint8Array>(location, { valueEncoding: "view" });
  try {
    const bytes = await db.get(key);
    return bytes && decoder.decode(bytes);
  } finally {
    await db.close();
  }
}

describe("LevelDB change log layout", () => {
  it("writes one LevelDB entry for the log entries of a whole group", async () => {
    const location = join(root, `db${n++}`);
    const b = await openLevelBackend({ location });
    const first = await b.write([], [], encoder.encode("first"));
    // Started in one tick behind a write in flight: they form a group, committed as one batch.
    const revisions = await Promise.all(
      Array.from({ length: 50 }, (_, i) => b.write([], [], encoder.encode(`w${i}`))),
    );
    expect(await changes(b, first)).toEqual(revisions.map((r, i) => [r, `w${i}`]));
    await b.close();
    const groups = await keysOf(location, "g");
    expect(groups.length).toBeGreaterThanOrEqual(2);
    expect(groups.length).toBeLessThanOrEqual(3);
    expect(groups.at(-1)).toBe(logKey("g", revisions.at(-1)!));
    expect(await keysOf(location, "l")).toEqual([]);
  });

  it("reads from and compacts at a point inside a group", async () => {
    const b = await openLevelBackend({ location: join(root, `db${n++}`) });
    const blocker = b.write([], [], encoder.encode("blocker"));
    const revisions = await Promise.all(
      Array.from({ length: 9 }, (_, i) => b.write([], [], encoder.encode(`w${i}`))),
    );
    const start = await blocker;
    expect(revisions).toEqual(revisions.map((_, i) => start + 1 + i));
    const middle = revisions[4]!;
    expect(await changes(b, middle)).toEqual(revisions.slice(5).map((r, i) => [r, `w${i + 5}`]));
    await b.compact(middle);
    expect(await changes(b, middle)).toEqual(revisions.slice(5).map((r, i) => [r, `w${i + 5}`]));
    const err = await changes(b, middle - 1).catch((e: unknown) => e);
    expect(isAnykvError(err, "COMPACTED")).toBe(true);
    await b.close();
  });

  it("reads a directory written one log entry per write, then compacts that layout away", async () => {
    const location = join(root, `db${n++}`);
    const old = new Level<string, Uint8Array>(location, { valueEncoding: "view" });
    for (let r = 1; r <= 4; r++) await old.put(logKey("l", r), encoder.encode(`old${r}`));
    await old.put("c:revision", encoder.encode("4"));
    await old.close();

    let b = await openLevelBackend({ location });
    expect(await b.revision()).toBe(4);
    const r5 = await b.write([], [], encoder.encode("new5"));
    const r6 = await b.write([], [], encoder.encode("new6"));
    expect([r5, r6]).toEqual([5, 6]);
    const all: Array<[number, string]> = [
      [1, "old1"],
      [2, "old2"],
      [3, "old3"],
      [4, "old4"],
      [5, "new5"],
      [6, "new6"],
    ];
    expect(await changes(b, 0)).toEqual(all);
    expect(await changes(b, 2)).toEqual(all.slice(2));
    await b.compact(2);
    expect(await changes(b, 2)).toEqual(all.slice(2));
    await b.close();
    expect(await keysOf(location, "l")).toEqual([logKey("l", 3), logKey("l", 4)]);

    b = await openLevelBackend({ location });
    expect(await changes(b, 3)).toEqual(all.slice(3));
    await b.compact(5);
    expect(await changes(b, 5)).toEqual([[6, "new6"]]);
    await b.close();
    expect(await keysOf(location, "l")).toEqual([]);
    expect(await storedValue(location, "c:format")).toBe("2");
  });

  it("refuses a directory of a newer layout, and leaves it as it was", async () => {
    const location = join(root, `db${n++}`);
    const newer = new Level<string, Uint8Array>(location, { valueEncoding: "view" });
    await newer.put("c:format", encoder.encode("3"));
    await newer.put(logKey("x", 1), encoder.encode("something this version does not know"));
    await newer.close();
    const err = await openLevelBackend({ location }).catch((e: unknown) => e);
    expect(isAnykvError(err, "UNAVAILABLE")).toBe(true);
    expect((err as Error).message).toContain(
      "written by a newer anykv (LevelDB layout 3; this one reads up to 2)",
    );
    // Unchanged, and the LevelDB lock was let go: the directory opens again.
    expect(await storedValue(location, "c:format")).toBe("3");
    expect(await keysOf(location, "x")).toEqual([logKey("x", 1)]);
  });
});
