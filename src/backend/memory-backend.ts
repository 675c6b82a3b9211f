import { AnykvError } from "../errors.js";
import type { Backend, StoredRecord, WriteOp } from "./backend.js";
import { checkConditions, createWriteQueue } from "./conditions.js";
import { compareKeys, inRange } from "./key-order.js";

/** An in-process backend for tests and throwaway servers. Not persistent. */
export function createMemoryBackend(): Backend {
  const records = new Map<string, StoredRecord>();
  const enqueue = createWriteQueue();
  let revision = 0;
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new AnykvError("UNAVAILABLE", "the memory backend is closed");
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
    write(ops: readonly WriteOp[], conditions = []) {
      return enqueue(async () => {
        assertOpen();
        await checkConditions(conditions, async (keys) => keys.map((key) => records.get(key)));
        revision += 1;
        for (const op of ops) {
          if (op.type === "put")
            records.set(op.key, { value: op.record.value, meta: { ...op.record.meta, revision } });
          else records.delete(op.key);
        }
        return revision;
      });
    },
    async *scan(range) {
      assertOpen();
      // A snapshot of the matching keys: writes during the scan do not disturb it.
      const keys = [...records.keys()].filter((k) => inRange(k, range)).sort(compareKeys);
      if (range.reverse) keys.reverse();
      let count = 0;
      for (const key of keys) {
        if (range.limit !== undefined && count >= range.limit) return;
        if (range.signal?.aborted) return;
        const record = records.get(key);
        if (!record) continue;
        count++;
        yield [key, record] as const;
      }
    },
    async close() {
      closed = true;
    },
  };
}
