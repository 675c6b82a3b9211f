import { AnykvError } from "../errors.js";
import { type Backend, KEY_PAGE, type ScanRange, type StoredRecord } from "./backend.js";
import { createGroupCommitter } from "./group-commit.js";
import { compareKeys, inRange } from "./key-order.js";

/** An in-process backend for tests and throwaway servers. Not persistent. */
export function createMemoryBackend(): Backend {
  const records = new Map<string, StoredRecord>();
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new AnykvError("UNAVAILABLE", "the memory backend is closed");
  };
  // The same group commit as LevelDB's, so that both check conditions and number writes alike.
  const committer = createGroupCommitter({
    revision: 0,
    async readMany(keys) {
      assertOpen();
      return keys.map((key) => records.get(key));
    },
    async commit(writes) {
      assertOpen();
      for (const { ops, revision } of writes) {
        for (const op of ops) {
          if (op.type === "put")
            records.set(op.key, { value: op.record.value, meta: { ...op.record.meta, revision } });
          else records.delete(op.key);
        }
      }
    },
  });

  // A snapshot of the keys a scan selects: writes during the scan do not disturb it.
  const keysIn = (range: ScanRange): string[] => {
    const keys = [...records.keys()].filter((k) => inRange(k, range)).sort(compareKeys);
    if (range.reverse) keys.reverse();
    return keys;
  };

  return {
    capabilities: { orderedScan: true, persistent: false, shared: false },
    async get(key) {
      assertOpen();
      return records.get(key);
    },
    async getMany(keys) {
      assertOpen();
      return keys.map((key) => records.get(key));
    },
    write: committer.write,
    async *scan(range) {
      assertOpen();
      let count = 0;
      for (const key of keysIn(range)) {
        if (range.limit !== undefined && count >= range.limit) return;
        if (range.signal?.aborted) return;
        const record = records.get(key);
        if (!record) continue;
        count++;
        yield [key, record] as const;
      }
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
    },
  };
}
