import type { AnykvError } from "../errors.js";
import type { Condition, StoredRecord, WriteOp } from "./backend.js";
import { conditionFailure } from "./conditions.js";

/** A write of a group whose conditions held, with the revision it gets. */
export interface GroupedWrite {
  readonly ops: readonly WriteOp[];
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
}

export interface GroupCommitter {
  /** Backend.write: resolves with the write's revision once its group is committed. */
  write(ops: readonly WriteOp[], conditions?: readonly Condition[]): Promise<number>;
  /** Resolves once every write queued so far has settled. */
  flush(): Promise<void>;
}

interface Pending {
  readonly ops: readonly WriteOp[];
  readonly conditions: readonly Condition[];
  readonly resolve: (revision: number) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit, the one "run one at a time" path of the in-process backends:
 * one group is committed at a time, and the writes that arrive meanwhile form
 * the next group, committed as one atomic backend write. Each write's
 * conditions are checked against the committed state plus the writes before
 * it in the group; a write whose condition fails gets CONFLICT and the others
 * go on. Every write keeps its own revision, in commit order. Callers learn
 * their result once the whole group is committed, so a caller that retries
 * after a CONFLICT reads the write that beat it.
 */
export function createGroupCommitter(options: GroupCommitOptions): GroupCommitter {
  let revision = options.revision;
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;

  const drain = async () => {
    try {
      while (queue.length > 0) {
        const group = queue;
        queue = [];
        await commitGroup(group);
      }
    } finally {
      running = undefined;
    }
  };

  const commitGroup = async (group: readonly Pending[]) => {
    // The latest revision of every key a condition names (null: absent), as the group goes on.
    const current = new Map<string, number | null>();
    for (const { conditions } of group) for (const { key } of conditions) current.set(key, null);
    try {
      const keys = [...current.keys()];
      const records = keys.length > 0 ? await options.readMany(keys) : [];
      for (const [i, key] of keys.entries()) current.set(key, records[i]?.meta.revision ?? null);
    } catch (err) {
      for (const write of group) write.reject(err);
      return;
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
      for (const op of write.ops)
        if (current.has(op.key)) current.set(op.key, op.type === "put" ? next : null);
      accepted.push({ ...write, revision: next });
    }
    let failed: { err: unknown } | undefined;
    if (accepted.length > 0) {
      try {
        await options.commit(accepted, next);
        revision = next;
      } catch (err) {
        failed = { err };
      }
    }
    for (const write of accepted) {
      if (failed) write.reject(failed.err);
      else write.resolve(write.revision);
    }
    for (const [write, failure] of refused) write.reject(failure);
  };

  return {
    write(ops, conditions = []) {
      return new Promise<number>((resolve, reject) => {
        queue.push({ ops, conditions, resolve, reject });
        running ??= drain();
      });
    },
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
