import { mkdir } from "node:fs/promises";
import { Level } from "level";
import { AnykvError } from "../errors.js";
import {
  type Backend,
  type BackendSnapshot,
  type ChangeEntry,
  KEY_PAGE,
  type ScanRange,
  type StoredRecord,
} from "./backend.js";
import { createGroupCommitter, type GroupedWrite } from "./group-commit.js";
import { openLevelChangeLog } from "./leveldb-change-log.js";
import { checkLease, createCommitSignal, createLocalLeases, localChanges } from "./local-change-log.js";
import { decodeRecord, encodeRecord } from "./record-encoding.js";

/** Options of the embedded LevelDB backend. */
export interface LevelBackendOptions {
  /**
   * The data directory; created when missing.
   * @default "./data"
   */
  readonly location: string;
  /**
   * "always" syncs every commit to disk (fsync) before any of its writes is
   * acknowledged, so acknowledged writes survive an OS crash or power loss;
   * "none" leaves them to the OS, which may lose the last seconds of
   * acknowledged writes then (a crash of the process alone loses nothing).
   * @default "always"
   */
  readonly sync?: "always" | "none";
  /**
   * Bytes of recently written and read records kept in memory, so that reads of them (and the
   * read before each write) do not go into LevelDB's thread pool; 0 turns the cache off.
   * @default 64 MiB
   */
  readonly cacheBytes?: number;
}

// One LevelDB, three key spaces: records under "r", the change log (leveldb-change-log.ts) under
// "g" (and "l" in older directories), and the counters under "c".
const RECORD = "r";
const COUNTER_KEY = "c:revision";
const COMPACTED_KEY = "c:compacted";
// The layout's version: 2 since the change log is written a group at a time. A directory of a
// newer layout is refused rather than misread; an older one is read as it is.
const FORMAT_KEY = "c:format";
const FORMAT = 2;
const encoder = new TextEncoder();
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
const decoder = new TextDecoder();

/**
 * The default backend: LevelDB through `level`. Writes are group-committed
 * (group-commit.ts): the writes that arrive while a commit is in flight (and,
 * under load, in the event-loop turn it ends in: `gather`) are
 * committed next as one atomic batch holding their records, the group's change
 * log entries (one LevelDB entry for them all) and the new revision counter,
 * synced to disk by default, so a crash leaves each write either whole or
 * absent. LevelDB's LOCK file keeps a second server off the same directory,
 * so leases live in memory and followers of the change log are woken
 * in-process after each commit.
 */
export async function openLevelBackend(options: LevelBackendOptions): Promise<Backend> {
  await mkdir(options.location, { recursive: true });
  const db = new Level<string, Uint8Array>(options.location, { keyEncoding: "utf8", valueEncoding: "view" });
  try {
    await db.open();
  } catch (cause) {
    throw openError(options.location, cause);
  }
  const readNumber = async (key: string) => {
    const bytes = await db.get(key);
    return bytes === undefined ? 0 : Number(decoder.decode(bytes));
  };
  const writeOptions = { sync: (options.sync ?? "always") === "always" };
  const format = await readNumber(FORMAT_KEY);
  if (format > FORMAT) {
    await db.close();
    throw new AnykvError(
      "UNAVAILABLE",
      `the data directory ${options.location} was written by a newer anykv (LevelDB layout ${format}; ` +
        `this one reads up to ${FORMAT}): open it with that version or a later one`,
    );
  }
  if (format < FORMAT) await db.put(FORMAT_KEY, encoder.encode(String(FORMAT)), writeOptions);
  const revision = await readNumber(COUNTER_KEY);
  let latest = revision;
  let compacted = await readNumber(COMPACTED_KEY);
  const commits = createCommitSignal();
  const leases = createLocalLeases();
  const log = await guard(() => openLevelChangeLog(db));

  // Reads that miss the committer's cache go through LevelDB's thread pool. Synchronous reads
  // (getSync) cost less CPU per call in-process, but over the network on a loaded 2-core machine
  // they halved Get and Put throughput (bench/README.md, "Request path"), so they stay
  // asynchronous. One getMany is one trip into LevelDB's thread pool, however many keys it reads.
  const readMany = async (keys: readonly string[]): Promise<(StoredRecord | undefined)[]> => {
    const values = await guard(() => db.getMany(keys.map((key) => RECORD + key)));
    return values.map((bytes) => (bytes === undefined ? undefined : decodeRecord(bytes)));
  };

  const commit = (writes: readonly GroupedWrite[], last: number) =>
    guard(async () => {
      const batch = db.batch();
      const logged: ChangeEntry[] = [];
      for (const { ops, change, revision } of writes) {
        if (change) logged.push({ revision, change });
        for (const op of ops) {
          if (op.type === "put") {
            const meta = { ...op.record.meta, revision };
            batch.put(RECORD + op.key, encodeRecord({ value: op.record.value, meta }));
          } else {
            batch.del(RECORD + op.key);
          }
        }
      }
      if (logged.length > 0) batch.put(...log.groupEntry(logged, last));
      batch.put(COUNTER_KEY, encoder.encode(String(last)));
      await batch.write(writeOptions);
      latest = last;
      commits.notify();
    });
  const committer = createGroupCommitter({
    revision,
    readMany,
    commit,
    cacheBytes: options.cacheBytes ?? DEFAULT_CACHE_BYTES,
    gather: true,
  });
  const closed = () => db.status !== "open";
  const readLog = (after: number, upTo: number, limit: number) => guard(() => log.read(after, upTo, limit));

  return {
    capabilities: {
      orderedScan: true,
      persistent: true,
      shared: false,
      changeFeed: true,
      nativeTtl: false,
      snapshots: true,
    },
    // Through the committer: its cache answers recent keys, and the store's reads before a write
    // tell it the revisions the write is pinned to.
    get: committer.read,
    getMany: committer.readMany,
    write: committer.write,
    async revision() {
      if (closed()) throw closedError();
      return latest;
    },
    changes(after, options) {
      const state = { revision: () => latest, compacted: () => compacted, closed, commits, closedError };
      return localChanges({ ...state, read: readLog }, after, options);
    },
    async compact(upTo) {
      const point = Math.min(upTo, latest);
      if (point <= compacted) return;
      // The point first (readers check it after each page), then the entries below it: a crash
      // in between leaves entries no reader reads.
      await guard(() => db.put(COMPACTED_KEY, encoder.encode(String(point)), writeOptions));
      compacted = Math.max(compacted, point);
      await guard(() => log.compact(point));
    },
    async compacted() {
      if (closed()) throw closedError();
      return compacted;
    },
    async lease(name, holder, ttlMs) {
      checkLease(name, holder, ttlMs);
      if (closed()) throw closedError();
      return leases.lease(name, holder, ttlMs);
    },
    async releaseLease(name, holder) {
      if (closed()) throw closedError();
      leases.release(name, holder);
    },
    async snapshot(): Promise<BackendSnapshot> {
      if (closed()) throw closedError();
      const snapshot = db.snapshot();
      try {
        const counter = await db.get(COUNTER_KEY, { snapshot });
        return {
          revision: counter === undefined ? 0 : Number(decoder.decode(counter)),
          async *scan(range) {
            const iterator = db.iterator({ ...levelRange(range), snapshot });
            try {
              for await (const [key, bytes] of iterator) {
                if (range.signal?.aborted) return;
                yield [key.slice(RECORD.length), decodeRecord(bytes)] as const;
              }
            } finally {
              await iterator.close();
            }
          },
          close: () => snapshot.close(),
        };
      } catch (cause) {
        await snapshot.close();
        throw closed() ? closedError(cause) : cause;
      }
    },
    async *scan(range) {
      if (db.status !== "open") throw closedError();
      const iterator = db.iterator({
        ...levelRange(range),
        ...(range.signal ? { signal: range.signal } : {}),
      });
      try {
        for await (const [key, bytes] of iterator) {
          if (range.signal?.aborted) return;
          yield [key.slice(RECORD.length), decodeRecord(bytes)] as const;
        }
      } catch (cause) {
        // A close while the scan runs ends it with UNAVAILABLE, as any later call.
        throw db.status === "open" || range.signal?.aborted ? cause : closedError(cause);
      } finally {
        await iterator.close();
      }
    },
    async *scanKeys(range) {
      if (db.status !== "open") throw closedError();
      const iterator = db.keys({
        ...levelRange(range),
        // classic-level ends a page at this many bytes (16 KiB by default): let KEY_PAGE keys fit.
        highWaterMarkBytes: 256 * 1024,
        ...(range.signal ? { signal: range.signal } : {}),
      });
      try {
        for (;;) {
          // One step per page: classic-level hands over up to KEY_PAGE keys at a time.
          const page = await iterator.nextv(KEY_PAGE);
          if (page.length === 0 || range.signal?.aborted) return;
          yield page.map((key) => key.slice(RECORD.length));
        }
      } catch (cause) {
        throw db.status === "open" || range.signal?.aborted ? cause : closedError(cause);
      } finally {
        await iterator.close();
      }
    },
    async close() {
      // Let queued writes finish first, so that every acknowledged write is on disk.
      await committer.flush();
      await db.close();
      commits.notify();
    },
  };

  async function guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (cause) {
      if (db.status !== "open") throw closedError(cause);
      throw cause;
    }
  }
}

/** A scan range as LevelDB iterator options, in the records' key space. */
function levelRange(range: ScanRange) {
  return {
    gte: RECORD + (range.gte ?? ""),
    lt: range.lt === undefined ? String.fromCharCode(RECORD.charCodeAt(0) + 1) : RECORD + range.lt,
    reverse: range.reverse ?? false,
    limit: range.limit ?? -1,
  };
}

function closedError(cause?: unknown): AnykvError {
  return new AnykvError("UNAVAILABLE", "the LevelDB backend is closed", { cause });
}

function openError(location: string, cause: unknown): AnykvError {
  const inner = (cause as { cause?: { code?: string } }).cause;
  if (inner?.code === "LEVEL_LOCKED") {
    return new AnykvError(
      "UNAVAILABLE",
      `the data directory ${location} is in use by another anykv server (LevelDB lock held); ` +
        "stop that server or start this one with another --data directory",
      { cause },
    );
  }
  return new AnykvError("UNAVAILABLE", `cannot open LevelDB in ${location}: ${String(cause)}`, { cause });
}
