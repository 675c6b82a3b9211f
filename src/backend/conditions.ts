import { AnykvError } from "../errors.js";
import type { Condition, StoredRecord } from "./backend.js";

/** Checks write conditions against current records; shared by the backends that check in-process. */
export async function checkConditions(
  conditions: readonly Condition[],
  readMany: (keys: readonly string[]) => Promise<(StoredRecord | undefined)[]>,
): Promise<void> {
  if (conditions.length === 0) return;
  const records = await readMany(conditions.map((condition) => condition.key));
  for (const [i, condition] of conditions.entries()) {
    const current = records[i];
    if (condition.revision === null) {
      if (current) throw new AnykvError("CONFLICT", `key "${condition.key}" already exists`);
    } else if (current?.meta.revision !== condition.revision) {
      const actual = current ? `is at revision ${current.meta.revision}` : "does not exist";
      throw new AnykvError(
        "CONFLICT",
        `key "${condition.key}" ${actual}, not revision ${condition.revision}`,
      );
    }
  }
}

/** Runs async tasks one at a time, so that check-then-write is atomic within one process. */
export function createWriteQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
