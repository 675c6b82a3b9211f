import { AnykvError } from "../errors.js";
import {
  type Backend,
  type BackendSnapshot,
  type ChangeEntry,
  KEY_PAGE,
  type ScanRange,
  type StoredRecord,
} from "./backend.js";
import { createGroupCommitter } from "./group-commit.js";
import { compareKeys, inRange } from "./key-order.js";
import { checkLease, createCommitSignal, createLocalLeases, localChanges } from "./local-change-log.js";

/** An in-process backend for tests and throwaway servers. Not persistent. */
export function createMemoryBackend(): Backend {
  const records = new Map<string, StoredRecord>();
  // The change log in revision order; entries at or below `compacted` are dropped.
  let log: ChangeEntry[] = [];
  let compacted = 0;
  let latest = 0;
  let closed = false;
  const commits = createCommitSignal();
  const leases = createLocalLeases();
  const closedError = () => new AnykvError("UNAVAILABLE", "the memory backend is closed");
  const assertOpen = () => {
    if (closed) throw closedError();
  };
  // The same group commit as LevelDB's, so that both check conditions and number writes alike.
  const committer = createGroupCommitter({
    revision: 0,
    async readMany(keys) {
      assertOpen();
      return keys.map((key) => records.get(key));
    },
    async commit(writes, last) {
      assertOpen();
      for (const { ops, change, revision } of writes) {
        for (const op of ops) {
          if (op.type === "put")
            records.set(op.key, { value: op.record.value, meta: { ...op.record.meta, revision } });
          else records.delete(op.key);
        }
        if (change) log.push({ revision, change });
      }
      latest = last;
      commits.notify();
    },
  });

  // A snapshot of the keys a scan selects: writes during the scan do not disturb it.
  const keysIn = (range: ScanRange, from: ReadonlyMap<string, StoredRecord> = records): string[] => {
    const keys = [...from.keys()].filter((k) => inRange(k, range)).sort(compareKeys);
    if (range.reverse) keys.reverse();
    return keys;
  };
  async function* scanOf(from: ReadonlyMap<string, StoredRecord>, range: ScanRange) {
    let count = 0;
    for (const key of keysIn(range, from)) {
      if (range.limit !== undefined && count >= range.limit) return;
      if (range.signal?.aborted) return;
      const record = from.get(key);
      if (!record) continue;
      count++;
      yield [key, record] as const;
    }
  }
  /** The index of the first entry with a revision above `after`. */
  const firstAfter = (after: number) => {
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid]!.revision <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  return {
    capabilities: {
      orderedScan: true,
      persistent: false,
      shared: false,
      changeFeed: true,
      nativeTtl: false,
      snapshots: true,
    },
    async get(key) {
      assertOpen();
      return records.get(key);
    },
    async getMany(keys) {
      assertOpen();
      return keys.map((key) => records.get(key));
    },
    write: committer.write,
    async revision() {
      assertOpen();
      return latest;
    },
    changes(after, options) {
      return localChanges(
        {
          revision: () => latest,
          compacted: () => compacted,
          closed: () => closed,
          commits,
          closedError,
          async read(from, upTo, limit) {
            const out: ChangeEntry[] = [];
            for (let i = firstAfter(from); i < log.length && out.length < limit; i++) {
              const entry = log[i]!;
              if (entry.revision > upTo) break;
              out.push(entry);
            }
            return out;
          },
        },
        after,
        options,
      );
    },
    async compact(upTo) {
      assertOpen();
      const point = Math.min(upTo, latest);
      if (point <= compacted) return;
      compacted = point;
      log = log.slice(firstAfter(point));
    },
    async compacted() {
      assertOpen();
      return compacted;
    },
    async lease(name, holder, ttlMs) {
      checkLease(name, holder, ttlMs);
      assertOpen();
      return leases.lease(name, holder, ttlMs);
    },
    async releaseLease(name, holder) {
      assertOpen();
      leases.release(name, holder);
    },
    async snapshot(): Promise<BackendSnapshot> {
      assertOpen();
      // Records are never changed in place, so a copy of the map is a point in time.
      const copy = new Map(records);
      return {
        revision: latest,
        scan: (range) => scanOf(copy, range),
        close: async () => undefined,
      };
    },
    async *scan(range) {
      assertOpen();
      yield* scanOf(records, range);
    },
    async *scanKeys(range) {
      assertOpen();
      const keys = keysIn(range).slice(0, range.limit);
      for (let at = 0; at < keys.length; at += KEY_PAGE) {
        if (range.signal?.aborted) return;
        yield keys.slice(at, at + KEY_PAGE);
      }
    },
    async close() {
      closed = true;
      commits.notify();
    },
  };
}
