import { mkdir } from "node:fs/promises";
import { Level } from "level";
import { AnykvError } from "../errors.js";
import { type Backend, KEY_PAGE, type ScanRange, type StoredRecord } from "./backend.js";
import { createGroupCommitter, type GroupedWrite } from "./group-commit.js";
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
}

// Records live under "r", the revision counter under "c": one LevelDB, two key spaces.
const RECORD = "r";
const COUNTER_KEY = "c:revision";

/**
 * The default backend: LevelDB through `level`. Writes are group-committed
 * (group-commit.ts): the writes that arrive while a commit is in flight are
 * committed next as one atomic batch holding their records and the new
 * revision counter, synced to disk by default, so a crash leaves each write
 * either whole or absent. LevelDB's LOCK file keeps a second server off the
 * same directory.
 */
export async function openLevelBackend(options: LevelBackendOptions): Promise<Backend> {
  await mkdir(options.location, { recursive: true });
  const db = new Level<string, Uint8Array>(options.location, { keyEncoding: "utf8", valueEncoding: "view" });
  try {
    await db.open();
  } catch (cause) {
    throw openError(options.location, cause);
  }
  const counter = await db.get(COUNTER_KEY);
  const revision = counter === undefined ? 0 : Number(new TextDecoder().decode(counter));

  // Reads go through LevelDB's thread pool. Synchronous reads (getSync) cost less CPU per call
  // in-process, but over the network on a loaded 2-core machine they halved Get and Put
  // throughput (bench/README.md, "Request path"), so reads stay asynchronous.
  const read = async (key: string): Promise<StoredRecord | undefined> => {
    const bytes = await guard(() => db.get(RECORD + key));
    return bytes === undefined ? undefined : decodeRecord(bytes);
  };
  // One getMany is one trip into LevelDB's thread pool, however many keys it reads.
  const readMany = async (keys: readonly string[]): Promise<(StoredRecord | undefined)[]> => {
    const values = await guard(() => db.getMany(keys.map((key) => RECORD + key)));
    return values.map((bytes) => (bytes === undefined ? undefined : decodeRecord(bytes)));
  };

  const writeOptions = { sync: (options.sync ?? "always") === "always" };
  const commit = (writes: readonly GroupedWrite[], last: number) =>
    guard(() => {
      const batch = db.batch();
      for (const { ops, revision } of writes) {
        for (const op of ops) {
          if (op.type === "put") {
            const meta = { ...op.record.meta, revision };
            batch.put(RECORD + op.key, encodeRecord({ value: op.record.value, meta }));
          } else {
            batch.del(RECORD + op.key);
          }
        }
      }
      batch.put(COUNTER_KEY, new TextEncoder().encode(String(last)));
      return batch.write(writeOptions);
    });
  const committer = createGroupCommitter({ revision, readMany, commit });

  return {
    capabilities: { orderedScan: true, persistent: true, shared: false },
    get: read,
    // Through the committer: the store's reads before a write tell it the revisions the write is pinned to.
    getMany: committer.readMany,
    write: committer.write,
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
