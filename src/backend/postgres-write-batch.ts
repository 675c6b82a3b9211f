import type { AnykvError } from "../errors.js";
import type { Condition, WriteOp } from "./backend.js";

/** One Backend.write waiting for its batch. */
export interface BatchedWrite {
  readonly ops: readonly WriteOp[];
  readonly conditions: readonly Condition[];
  readonly change: Uint8Array | undefined;
}

/** Most writes, and most ops, in one batch (one statement: its arrays stay a few MB at most). */
const MAX_WRITES = 64;
const MAX_OPS = 4096;

/**
 * Group commit for a backend whose engine checks the conditions (PostgreSQL's write_batch):
 * the writes that arrive while a batch is in flight form the next one, sent as one statement,
 * one transaction and one WAL flush. The engine serializes every writer on the revision
 * counter until commit, so a process gains nothing from several batches in flight at once, and
 * a lot from sharing one commit. `commit` resolves with each write's revision, or the CONFLICT
 * that refused it (the others go on); an engine error fails the whole batch.
 */
export function createWriteBatcher(
  commit: (writes: readonly BatchedWrite[]) => Promise<ReadonlyArray<number | AnykvError>>,
) {
  type Pending = BatchedWrite & { resolve(revision: number): void; reject(err: unknown): void };
  const queue: Pending[] = [];
  let running: Promise<void> | undefined;

  const take = (): Pending[] => {
    let ops = 0;
    let n = 0;
    while (n < queue.length && n < MAX_WRITES) {
      ops += queue[n]!.ops.length;
      if (n > 0 && ops > MAX_OPS) break;
      n++;
    }
    return queue.splice(0, n);
  };

  const drain = async () => {
    try {
      while (queue.length > 0) {
        const batch = take();
        let results: ReadonlyArray<number | AnykvError>;
        try {
          results = await commit(batch);
        } catch (err) {
          for (const write of batch) write.reject(err);
          continue;
        }
        for (const [i, write] of batch.entries()) {
          const result = results[i]!;
          if (typeof result === "number") write.resolve(result);
          else write.reject(result);
        }
      }
    } finally {
      running = undefined;
    }
  };

  return {
    write(ops: readonly WriteOp[], conditions: readonly Condition[], change: Uint8Array | undefined) {
      return new Promise<number>((resolve, reject) => {
        queue.push({ ops, conditions, change, resolve, reject });
        running ??= drain();
      });
    },
    /** Resolves once every write queued so far has settled. */
    async flush() {
      while (running) await running;
    },
  };
}
