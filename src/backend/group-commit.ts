import { setImmediate as nextTurn } from "node:timers/promises";
import type { AnykvError } from "../errors.js";
import type { Backend, Condition, StoredRecord, WriteOp } from "./backend.js";
import { conditionFailure } from "./conditions.js";

/** A write of a group whose conditions held, with the revision it gets. */
export interface GroupedWrite {
  readonly ops: readonly WriteOp[];
  /** The write's change log entry (Backend.write's `change`), kept under its revision. */
  readonly change: Uint8Array | undefined;
  readonly revision: number;
}

/** What a backend gives the group committer: its committed state and its one atomic write. */
export interface GroupCommitOptions {
  /** The revision of the last committed write (0 for a new store). */
  readonly revision: number;
  /** Reads committed records, in order (for the conditions). */
  readMany(keys: readonly string[]): Promise<(StoredRecord | undefined)[]>;
  /**
   * Writes a group atomically: every write's ops in order, each put under
   * its write's revision, and `revision` (the group's last) as the counter.
   */
  commit(writes: readonly GroupedWrite[], revision: number): Promise<void>;
  /**
   * Most keys whose revision the committer keeps (see `readMany`); past it, it forgets them all.
   * @default 65536
   */
  readonly knownKeys?: number;
  /**
   * Bytes of committed records the committer keeps in memory to answer reads without the engine
   * (a read cache, written through by every commit); 0 keeps revisions only (an engine that is
   * memory already). Records larger than a sixteenth of it are not kept.
   * @default 0
   */
  readonly cacheBytes?: number;
  /**
   * Under load (the last group held more than one write), wait one turn of the event loop
   * before cutting the next group, so that the requests already read off the sockets join it.
   * For an engine whose commit is costly whatever its size (a synced LevelDB batch: its fsync
   * and its hand-offs to and from the thread pool), bigger groups cost less per write. A lone
   * writer does not wait.
   * @default false
   */
  readonly gather?: boolean;
}

export interface GroupCommitter {
  /**
   * Backend.write: resolves with the write's revision once its group is committed, and hands
   * `queued` the write's ticket at once (a later write may name it in a condition).
   */
  readonly write: Backend["write"];
  /**
   * Backend.getMany through the committer: what it holds of the committed state (absent keys,
   * cached records), and options.readMany for the rest, whose answer also tells the committer
   * the keys' revisions, so that a write pinned to what it read (every store write) has its
   * conditions checked without reading the same records again. The records it answers are
   * shared: callers must not change them.
   */
  readMany(keys: readonly string[]): Promise<(StoredRecord | undefined)[]>;
  /** Backend.get through the committer (readMany of one key). */
  read(key: string): Promise<StoredRecord | undefined>;
  /** Resolves once every write queued so far has settled. */
  flush(): Promise<void>;
}

interface Pending {
  readonly ticket: { revision: number | undefined };
  readonly ops: readonly WriteOp[];
  readonly change: Uint8Array | undefined;
  readonly conditions: readonly Condition[];
  readonly resolve: (revision: number) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit, the one "run one at a time" path of the in-process backends:
 * one group is committed at a time, and the writes that arrive meanwhile form
 * the next group (with `gather`, under load, also those of the event-loop turn
 * the commit ends in), committed as one atomic backend write. Each write's
 * conditions are checked against the committed state plus the writes before
 * it in the group; a write whose condition fails gets CONFLICT and the others
 * go on. Every write keeps its own revision, in commit order. Callers learn
 * their result once the whole group is committed, so a caller that retries
 * after a CONFLICT reads the write that beat it. A write's ticket (handed to
 * `queued` as it is queued) lets a later write of the same key be pinned
 * after it before it commits (Condition.after), in the same group or the next.
 *
 * The committed state of a key comes from the revisions the committer knows
 * (known-revisions below) or, for the others, from one read per group. With
 * `cacheBytes`, it also keeps the committed records of those keys, so that
 * reads of recent and hot keys, and the store's read before each write, cost
 * no trip into the engine.
 */
export function createGroupCommitter(options: GroupCommitOptions): GroupCommitter {
  let revision = options.revision;
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;
  const known = createKnownRevisions(options.knownKeys ?? 65_536, options.cacheBytes ?? 0);
  // The size of the last group cut (options.gather).
  let lastGroup = 0;

  const drain = async () => {
    try {
      while (queue.length > 0) {
        // One turn: the event loop's poll reads what the sockets hold, then this resumes.
        if (options.gather && lastGroup > 1) await nextTurn();
        const group = queue;
        queue = [];
        lastGroup = group.length;
        await commitGroup(group);
      }
    } finally {
      running = undefined;
    }
  };

  const commitGroup = async (group: readonly Pending[]) => {
    // The latest revision of every key a condition names (null: absent), as the group goes on.
    const current = new Map<string, number | null>();
    const unread: string[] = [];
    for (const { conditions } of group)
      for (const { key } of conditions) {
        if (current.has(key)) continue;
        const revision = known.get(key);
        current.set(key, revision ?? null);
        if (revision === undefined) unread.push(key);
      }
    if (unread.length > 0) {
      try {
        // Nothing commits while a group is checked: what this read finds is current.
        const epoch = known.epoch();
        const records = await options.readMany(unread);
        known.learn(unread, records, epoch);
        for (const [i, key] of unread.entries()) current.set(key, records[i]?.meta.revision ?? null);
      } catch (err) {
        for (const write of group) write.reject(err);
        return;
      }
    }
    let next = revision;
    const accepted: Array<GroupedWrite & Pending> = [];
    const refused: Array<[Pending, AnykvError]> = [];
    for (const write of group) {
      const failure = firstFailure(write.conditions, current);
      if (failure) {
        refused.push([write, failure]);
        continue;
      }
      next += 1;
      write.ticket.revision = next;
      for (const op of write.ops)
        if (current.has(op.key)) current.set(op.key, op.type === "put" ? next : null);
      accepted.push({ ...write, revision: next });
    }
    let failed: { err: unknown } | undefined;
    if (accepted.length > 0) {
      try {
        await options.commit(accepted, next);
        revision = next;
        for (const write of accepted) known.wrote(write.ops, write.revision);
      } catch (err) {
        // What the engine holds now is not certain: learn it again from reads.
        known.forget();
        failed = { err };
        // A write queued behind one of these, and built on it, must not commit.
        for (const write of accepted) write.ticket.revision = undefined;
      }
    }
    for (const write of accepted) {
      if (failed) write.reject(failed.err);
      else write.resolve(write.revision);
    }
    for (const [write, failure] of refused) write.reject(failure);
  };

  const readMany = async (keys: readonly string[]): Promise<(StoredRecord | undefined)[]> => {
    const found: (StoredRecord | undefined)[] = new Array(keys.length);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (known.isAbsent(key)) found[i] = undefined;
      else {
        const record = known.record(key);
        if (record) found[i] = record;
        else missing.push(i);
      }
    }
    if (missing.length === 0) return found;
    const unread = missing.length === keys.length ? keys : missing.map((i) => keys[i] as string);
    const epoch = known.epoch();
    const records = await options.readMany(unread);
    known.learn(unread, records, epoch);
    if (unread === keys) return records;
    for (const [j, i] of missing.entries()) found[i] = records[j];
    return found;
  };

  return {
    write(ops, conditions = [], change, queued) {
      const ticket = { revision: undefined };
      const written = new Promise<number>((resolve, reject) => {
        queue.push({ ticket, ops, change, conditions, resolve, reject });
        running ??= drain();
      });
      queued?.(ticket);
      return written;
    },
    readMany,
    read: async (key) => (await readMany([key]))[0],
    async flush() {
      while (running) await running;
    },
  };
}

function firstFailure(
  conditions: readonly Condition[],
  current: ReadonlyMap<string, number | null>,
): AnykvError | undefined {
  for (const condition of conditions) {
    const failure = conditionFailure(condition, current.get(condition.key) ?? null);
    if (failure) return failure;
  }
  return undefined;
}

/**
 * The committed revision of recently read or written keys (null: absent), exact for every key
 * it holds: every commit goes through this committer (the backends that use it are one
 * process's), and sets the keys it wrote once it has committed. A read that ran while a commit
 * was in flight may have seen the records before or after it; it only adds keys the map does
 * not hold: a key the commit wrote is set by the commit when it lands (after the read's
 * answer, or before it, and then the read leaves it alone). A read that overlapped a forget()
 * adds nothing (its epoch is stale). Past `max` keys the map is cleared: forgetting is always
 * safe, the conditions of those keys are then read again.
 *
 * Beside a key's revision it may keep its committed record (up to `cacheBytes` of them, the
 * oldest written or read dropped first): dropping a record never needs the epoch, since the
 * revision stays exact, and a record is kept only with the revision the map holds for its key.
 */
function createKnownRevisions(max: number, cacheBytes: number) {
  let revisions = new Map<string, number | null>();
  // Insertion order is age: a write deletes and sets its keys, so the oldest come first.
  let records = new Map<string, StoredRecord>();
  let bytes = 0;
  let epoch = 0;
  // Larger values are read from the engine: one of them would push out many small hot ones.
  const largest = cacheBytes > 0 ? Math.floor(cacheBytes / 16) : -1;
  const sizeOf = (key: string, record: StoredRecord) =>
    record.value.byteLength + key.length * 2 + RECORD_OVERHEAD;
  const drop = (key: string) => {
    const record = records.get(key);
    if (record === undefined) return;
    records.delete(key);
    bytes -= sizeOf(key, record);
  };
  const keep = (key: string, record: StoredRecord) => {
    if (record.value.byteLength > largest) return;
    records.set(key, record);
    bytes += sizeOf(key, record);
    if (bytes <= cacheBytes) return;
    for (const [oldest, kept] of records) {
      if (bytes <= cacheBytes) break;
      records.delete(oldest);
      bytes -= sizeOf(oldest, kept);
    }
  };
  const forget = () => {
    revisions = new Map();
    records = new Map();
    bytes = 0;
    epoch += 1;
  };
  return {
    get: (key: string): number | null | undefined => revisions.get(key),
    isAbsent: (key: string): boolean => revisions.get(key) === null,
    record: (key: string): StoredRecord | undefined => records.get(key),
    epoch: () => epoch,
    /** What a read that started at `since` found, for the keys not known yet (and their records). */
    learn(keys: readonly string[], found: readonly (StoredRecord | undefined)[], since: number) {
      if (since !== epoch) return;
      // Not after a forget(): a commit during the read may have set a key that is gone now.
      if (revisions.size + keys.length > max) return forget();
      for (const [i, key] of keys.entries()) {
        const record = found[i];
        const revision = record?.meta.revision ?? null;
        const held = revisions.get(key);
        if (held === undefined) revisions.set(key, revision);
        // The record only with the revision the map holds: a read may have seen a commit whose
        // revision the map does not hold yet, or an older one.
        if (record && cacheBytes > 0 && (held ?? revision) === revision && !records.has(key))
          keep(key, record);
      }
    },
    /** A committed write's ops, under its revision. */
    wrote(ops: readonly WriteOp[], revision: number) {
      if (revisions.size + ops.length > max) forget();
      for (const op of ops) {
        revisions.set(op.key, op.type === "put" ? revision : null);
        drop(op.key);
        if (op.type === "put" && op.record.value.byteLength <= largest)
          // A copy: the value may be a view of a request's buffer, which it would keep alive.
          keep(op.key, { value: new Uint8Array(op.record.value), meta: { ...op.record.meta, revision } });
      }
    },
    forget,
  };
}

/** What a kept record costs besides its value and key: the objects, the metadata, the map entry. */
const RECORD_OVERHEAD = 320;
