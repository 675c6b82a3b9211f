import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend, NewRecord, StoredRecord, WriteTicket } from "../../src/backend/backend.js";
import {
  createGroupCommitter,
  type GroupCommitOptions,
  type GroupedWrite,
} from "../../src/backend/group-commit.js";
import { openLevelBackend } from "../../src/backend/leveldb-backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { Store } from "../../src/store/store.js";
import { tempDir } from "../support/temp-dir.js";

const root = tempDir();
let n = 0;
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const record = (value: string): NewRecord => ({
  value: new TextEncoder().encode(value),
  meta: { codec: "text", kind: "text", model: "", contentType: "", createdAt: 1, updatedAt: 1 },
});
const conflict = (e: unknown) => isAnykvError(e, "CONFLICT");

// Writes started in one tick, behind a write already in flight, form one group.
const backends: Array<[string, () => Promise<Backend>]> = [
  ["leveldb, sync always", () => openLevelBackend({ location: join(root, `db${n++}`), sync: "always" })],
  ["leveldb, sync none", () => openLevelBackend({ location: join(root, `db${n++}`), sync: "none" })],
  ["memory", async () => createMemoryBackend()],
];

describe.each(backends)("group commit: %s", (_, open) => {
  it("checks each write of a group against the writes before it; a failed condition fails only its own", async () => {
    const b = await open();
    const r0 = await b.write([{ type: "put", key: "seen", record: record("0") }]);
    const inFlight = b.write([{ type: "put", key: "blocker", record: record("b") }]);
    const group = [
      // Sees `seen` at r0, replaces it: r0 + 2.
      b.write([{ type: "put", key: "seen", record: record("1") }], [{ key: "seen", revision: r0 }]),
      // Sees the write just before it in the same group, not the committed r0.
      b.write([{ type: "put", key: "seen", record: record("2") }], [{ key: "seen", revision: r0 + 2 }]),
      // Stale: r0 was replaced twice in this group.
      b.write([{ type: "put", key: "seen", record: record("stale") }], [{ key: "seen", revision: r0 }]),
      b.write([{ type: "put", key: "claim", record: record("first") }], [{ key: "claim", revision: null }]),
      b.write([{ type: "put", key: "claim", record: record("second") }], [{ key: "claim", revision: null }]),
      // A delete earlier in the group makes the key absent for the next one.
      b.write([{ type: "del", key: "seen" }], [{ key: "seen", revision: r0 + 3 }]),
      b.write([{ type: "put", key: "seen", record: record("again") }], [{ key: "seen", revision: null }]),
      b.write([{ type: "put", key: "free", record: record("f") }]),
    ];
    const results = await Promise.allSettled([inFlight, ...group]);
    const outcome = results.map((r) =>
      r.status === "fulfilled" ? r.value : conflict(r.reason) && "CONFLICT",
    );
    expect(outcome).toEqual([r0 + 1, r0 + 2, r0 + 3, "CONFLICT", r0 + 4, "CONFLICT", r0 + 5, r0 + 6, r0 + 7]);
    expect(text((await b.get("seen"))?.value)).toBe("again");
    expect((await b.get("seen"))?.meta.revision).toBe(r0 + 6);
    expect(text((await b.get("claim"))?.value)).toBe("first");
    expect((await b.get("free"))?.meta.revision).toBe(r0 + 7);
    // The failed writes consumed no revision: the next write follows the last commit.
    expect(await b.write([])).toBe(r0 + 8);
    await b.close();
  });

  it("gives many concurrent writes strictly increasing revisions in the order they were made", async () => {
    const b = await open();
    const revisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        b.write([
          { type: "put", key: `k${i % 7}`, record: record(String(i)) },
          { type: "put", key: `log/${i}`, record: record(String(i)) },
        ]),
      ),
    );
    for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBe(revisions[i - 1]! + 1);
    // Every put of a write carries that write's revision; the last writer of a key wins.
    expect((await b.get("log/150"))?.meta.revision).toBe(revisions[150]);
    expect(text((await b.get("k3"))?.value)).toBe("199");
    expect((await b.get("k3"))?.meta.revision).toBe(revisions[199]);
    await b.close();
  });

  it("lets exactly one of many concurrent if_absent writers win, and loses no if_revision increment", async () => {
    const b = await open();
    const claims = await Promise.allSettled(
      Array.from({ length: 64 }, (_, i) =>
        b.write(
          [{ type: "put", key: "claim", record: record(String(i)) }],
          [{ key: "claim", revision: null }],
        ),
      ),
    );
    const won = claims.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(won).toHaveLength(1);
    expect(claims.every((r) => r.status === "fulfilled" || conflict(r.reason))).toBe(true);
    expect(text((await b.get("claim"))?.value)).toBe(String(won[0]));

    await b.write([{ type: "put", key: "counter", record: record("0") }]);
    let retries = 0;
    const increment = async () => {
      for (;;) {
        const current = (await b.get("counter"))!;
        const next = record(String(Number(text(current.value)) + 1));
        try {
          return await b.write(
            [{ type: "put", key: "counter", record: next }],
            [{ key: "counter", revision: current.meta.revision }],
          );
        } catch (err) {
          if (!conflict(err)) throw err;
          retries++;
        }
      }
    };
    const revisions = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const mine: number[] = [];
        for (let i = 0; i < 10; i++) mine.push(await increment());
        return mine;
      }),
    );
    expect(text((await b.get("counter"))?.value)).toBe("160");
    expect(new Set(revisions.flat()).size).toBe(160);
    expect(retries).toBeGreaterThan(0);
    await b.close();
  });
});

describe.each(backends)("group commit under the store: %s", (_, open) => {
  it("hands a watcher every write of concurrent groups once, in revision order", async () => {
    const store = new Store(await open(), { sweepIntervalMs: 0 });
    const controller = new AbortController();
    const watch = store.watch("ns", { signal: controller.signal })[Symbol.asyncIterator]();
    await watch.next(); // the store's revision when the watch starts
    const input = { value: new Uint8Array(8), codec: "raw", kind: "raw", model: "", contentType: "" };
    const writes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        i % 4 === 3
          ? store.write("ns", [
              { type: "put", key: `batch/${i}/a`, input },
              { type: "put", key: `batch/${i}/b`, input },
            ])
          : store.put("ns", `hot/${i % 3}`, input, i % 5 === 0 ? { ifAbsent: true } : {}),
      ),
    );
    const acknowledged = writes.flatMap((w) =>
      w.status === "fulfilled" ? ["revision" in w.value ? w.value.revision : w.value.meta.revision] : [],
    );
    expect(acknowledged.length).toBeGreaterThan(80);
    const seen: number[] = [];
    while (seen.length < acknowledged.length) {
      const { value } = await watch.next();
      if (value) seen.push(value.revision);
    }
    controller.abort();
    expect(seen).toEqual([...acknowledged].sort((a, b) => a - b));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    await store.close();
  });
});

/** A committer at revision 10 over an empty engine, committing with `commit`. */
const committer = (
  commit: (writes: readonly GroupedWrite[], revision: number) => Promise<void>,
  options: Pick<GroupCommitOptions, "gather"> = {},
) =>
  createGroupCommitter({
    revision: 10,
    readMany: async (keys: readonly string[]) => keys.map((): StoredRecord | undefined => undefined),
    commit,
    ...options,
  });

/** A committer whose commits take 5 ms, and whose second commit fails ("disk full"). */
const failingSecondCommit = () => {
  let calls = 0;
  return committer(async () => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (calls === 2) throw new Error("disk full");
  });
};

describe("the group committer", () => {
  it("commits the writes that arrive during a commit as one group, and the counter as its last revision", async () => {
    const groups: Array<[number[], number]> = [];
    const c = committer(async (writes, revision) => {
      groups.push([writes.map((w) => w.revision), revision]);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const first = c.write([]);
    const rest = Array.from({ length: 63 }, () => c.write([{ type: "del", key: "k" }]));
    expect(await Promise.all([first, ...rest])).toEqual(Array.from({ length: 64 }, (_, i) => 11 + i));
    expect(groups).toEqual([
      [[11], 11],
      [Array.from({ length: 63 }, (_, i) => 12 + i), 74],
    ]);
  });

  it.each([false, true])(
    "cuts the next group as a commit ends, or with gather and under load a turn later (gather: %s)",
    async (gather) => {
      const groups: number[][] = [];
      const writes: Promise<number>[] = [];
      const c = committer(
        async (group) => {
          groups.push(group.map((w) => w.revision));
          if (groups.length === 2) writes.push(c.write([]));
          await new Promise((resolve) => setTimeout(resolve, 5));
          // Made in the check phase of the turn this commit ends in, as a request read off a
          // socket in that turn's poll would be: before the committer's own setImmediate.
          if (groups.length === 2) setImmediate(() => writes.push(c.write([])));
        },
        { gather },
      );
      writes.push(c.write([])); // alone: no group before it, so it does not wait
      writes.push(c.write([]), c.write([])); // the next group, of two: under load from now on
      await c.flush();
      expect(await Promise.all(writes)).toEqual([11, 12, 13, 14, 15]);
      expect(groups).toEqual(gather ? [[11], [12, 13], [14, 15]] : [[11], [12, 13], [14], [15]]);
    },
  );

  it("fails every write of a group whose commit fails, keeps the revision, and goes on with the next group", async () => {
    const c = failingSecondCommit();
    const first = c.write([]);
    const doomed = [c.write([]), c.write([], [{ key: "x", revision: 3 }]), c.write([])];
    const results = await Promise.allSettled([first, ...doomed]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      11,
      "disk full",
      'key "x" does not exist, not revision 3',
      "disk full",
    ]);
    expect(await c.write([])).toBe(12);
    await c.flush();
  });
});

describe("the group committer's tickets (a write built on a queued one)", () => {
  const put = (key: string) => [{ type: "put" as const, key, record: record(key) }];
  const ticketOf = (write: (queued: (ticket: WriteTicket) => void) => Promise<number>) => {
    let ticket: WriteTicket | undefined;
    const written = write((t) => {
      ticket = t;
    });
    if (!ticket) throw new Error("the committer did not hand over the ticket at once");
    return { ticket, written };
  };

  it("commits a chain of writes of one key, each pinned after the one before, in one group", async () => {
    const groups: number[][] = [];
    const c = committer(async (writes) => {
      groups.push(writes.map((w) => w.revision));
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const blocker = c.write(put("other"));
    let ahead = ticketOf((q) => c.write(put("k"), [{ key: "k", revision: null }], undefined, q));
    const chain = [ahead.written];
    for (let i = 0; i < 5; i++) {
      const pinned = ahead.ticket;
      ahead = ticketOf((q) => c.write(put("k"), [{ key: "k", revision: null, after: pinned }], undefined, q));
      chain.push(ahead.written);
    }
    expect(await Promise.all([blocker, ...chain])).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect(groups).toEqual([[11], [12, 13, 14, 15, 16, 17]]);
    expect(ahead.ticket.revision).toBe(17);
    // A ticket from a committed group still holds while it is the key's latest write...
    expect(await c.write(put("k"), [{ key: "k", revision: null, after: ahead.ticket }])).toBe(18);
    // ... and no longer once another write came between.
    await expect(c.write(put("k"), [{ key: "k", revision: null, after: ahead.ticket }])).rejects.toSatisfy(
      conflict,
    );
  });

  it("refuses a write pinned after a refused write, or after one whose commit failed", async () => {
    const c = failingSecondCommit();
    const first = c.write(put("k"));
    // Refused: "k" is not absent once the first write commits.
    const refused = ticketOf((q) => c.write(put("k"), [{ key: "k", revision: null }], undefined, q));
    const afterRefused = c.write(put("k"), [{ key: "k", revision: null, after: refused.ticket }]);
    // In the same group as the two above, whose commit fails.
    const doomed = ticketOf((q) => c.write(put("j"), [], undefined, q));
    const [r1, r2, r3] = await Promise.allSettled([first, refused.written, afterRefused]);
    expect(r1).toEqual({ status: "fulfilled", value: 11 });
    expect(r2.status === "rejected" && conflict(r2.reason)).toBe(true);
    expect(r3.status === "rejected" && conflict(r3.reason)).toBe(true);
    // Pinned after a write of the failed group.
    const afterDoomed = c.write(put("j"), [{ key: "j", revision: null, after: doomed.ticket }]);
    await expect(doomed.written).rejects.toThrow("disk full");
    await expect(afterDoomed).rejects.toSatisfy(conflict);
    expect(doomed.ticket.revision).toBeUndefined();
    await c.flush();
  });
});

describe("the group committer's known revisions", () => {
  // A store of records behind a committer whose reads are counted and can be held back.
  const setup = (knownKeys?: number, cacheBytes?: number) => {
    const records = new Map<string, StoredRecord>();
    const reads: string[][] = [];
    let gate: Promise<void> | undefined;
    const c = createGroupCommitter({
      revision: 0,
      ...(knownKeys === undefined ? {} : { knownKeys }),
      ...(cacheBytes === undefined ? {} : { cacheBytes }),
      async readMany(keys) {
        const found = keys.map((key) => records.get(key));
        reads.push([...keys]);
        const held = gate;
        gate = undefined;
        await held;
        return found;
      },
      async commit(writes) {
        for (const { ops, revision } of writes)
          for (const op of ops)
            if (op.type === "put")
              records.set(op.key, { ...op.record, meta: { ...op.record.meta, revision } });
            else records.delete(op.key);
      },
    });
    // The next read answers what it found only when released.
    const holdNextRead = () => {
      let release = () => {};
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return release;
    };
    return { c, reads, holdNextRead };
  };
  const put = (key: string, value = "v") => ({ type: "put" as const, key, record: record(value) });

  it("checks a write pinned to what was read through it without reading again", async () => {
    const { c, reads } = setup();
    const [before] = await c.readMany(["a"]);
    const r1 = await c.write([put("a")], [{ key: "a", revision: before?.meta.revision ?? null }]);
    const [after] = await c.readMany(["a"]);
    expect(await c.write([put("a")], [{ key: "a", revision: after?.meta.revision ?? null }])).toBe(r1 + 1);
    // A stale pin still fails, from what the committer knows.
    await expect(c.write([put("a")], [{ key: "a", revision: r1 }])).rejects.toSatisfy(conflict);
    // The two reads are the caller's: the committer read nothing itself.
    expect(reads).toEqual([["a"], ["a"]]);
  });

  it("does not take a read that overlapped a commit of the key for the key's state", async () => {
    const { c, reads, holdNextRead } = setup();
    const release = holdNextRead();
    // The read finds "a" absent, and answers only after a write of "a" has committed.
    const read = c.readMany(["a"]);
    const r1 = await c.write([put("a")], [{ key: "a", revision: null }]);
    release();
    expect((await read)[0]).toBeUndefined();
    // Were the stale read taken, "a" would look absent and this claim would win.
    await expect(c.write([put("a", "again")], [{ key: "a", revision: null }])).rejects.toSatisfy(conflict);
    await expect(c.write([put("a")], [{ key: "a", revision: r1 }])).resolves.toBe(r1 + 1);
    expect(reads.length).toBe(2);
  });

  it("reads again what it forgot past knownKeys, and still checks every condition", async () => {
    const { c, reads } = setup(2);
    const r = await Promise.all(["a", "b", "c"].map((k) => c.write([put(k)])));
    // The third key known went past the limit of two: "a" and "b" were forgotten, so "a" is read.
    await expect(c.write([put("a")], [{ key: "a", revision: r[0]! }])).resolves.toBe(4);
    // Writing "a" went past the limit again: "c" was forgotten too, read, and its stale pin fails.
    await expect(c.write([put("c")], [{ key: "c", revision: r[0]! }])).rejects.toSatisfy(conflict);
    expect(reads).toEqual([["a"], ["c"]]);
  });

  const text = (r: StoredRecord | undefined) => (r ? new TextDecoder().decode(r.value) : undefined);

  it("answers recent records from its cache, and absent keys, without reading the engine", async () => {
    const { c, reads } = setup(undefined, 1 << 20);
    const r1 = await c.write([put("a", "one")]);
    const [a] = await c.readMany(["a"]);
    expect([text(a), a?.meta.revision]).toEqual(["one", r1]);
    await c.write([{ type: "del", key: "a" }]);
    expect(await c.read("a")).toBeUndefined();
    // A key read once (absent here) is known from then on.
    expect(await c.readMany(["b", "a"])).toEqual([undefined, undefined]);
    expect(await c.read("b")).toBeUndefined();
    expect(reads).toEqual([["b"]]);
  });

  it("keeps a copy of what was written, not the caller's buffer", async () => {
    const { c } = setup(undefined, 1 << 20);
    const value = new TextEncoder().encode("before");
    await c.write([{ type: "put", key: "a", record: { ...record("x"), value } }]);
    value.set(new TextEncoder().encode("change"));
    expect(text(await c.read("a"))).toBe("before");
  });

  it("does not cache what a read found while a commit of the key was in flight", async () => {
    const { c, holdNextRead } = setup(3, 16 * 1024);
    for (const key of ["b", "c", "d"]) await c.write([put(key)]);
    await c.write([put("a", "old")]); // past knownKeys (3): the others are forgotten
    for (const key of ["b", "c", "d"]) await c.write([put(key)]); // and so is "a"
    const release = holdNextRead();
    // The read finds "a" old, and answers only after a write of "a" has committed. The new
    // value is too large to cache, so only the revision of "a" is known when the read lands.
    const read = c.readMany(["a"]);
    const large = "n".repeat(2000);
    await c.write([put("a", large)]);
    release();
    expect(text((await read)[0])).toBe("old");
    // Were the stale record kept, this read would answer "old".
    expect(text(await c.read("a"))).toBe(large);
  });

  it("drops the oldest records past cacheBytes and reads them again, and never keeps large ones", async () => {
    const { c, reads } = setup(undefined, 16 * 1024);
    const small = "s".repeat(900);
    for (const key of ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"])
      await c.write([put(key, small)]);
    // 16 records of ~900 + 320 bytes do not fit in 16 KiB: the first ones were dropped.
    expect(text(await c.read("a"))).toBe(small);
    expect(text(await c.read("p"))).toBe(small);
    expect(reads).toEqual([["a"]]);
    // A value over a sixteenth of the cache is read from the engine every time.
    await c.write([put("big", "b".repeat(2000))]);
    await c.read("big");
    await c.read("big");
    expect(reads).toEqual([["a"], ["big"], ["big"]]);
  });
});
