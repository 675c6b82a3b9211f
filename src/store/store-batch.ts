import { type AnykvError, isAnykvError } from "../errors.js";
import { commit, type Entry, type OpResult, type StoreOp, type WriteTarget } from "./store-write.js";
import { hasCondition } from "./write-conditions.js";

// DeletePrefix removes keys in atomic chunks of this many.
const DELETE_CHUNK = 1000;

/**
 * Applies ops in order, each on its own: an op that fails (bad key, failed
 * condition) yields its error and the others go on. Runs of ops without
 * conditions (and without a repeated key) share one backend write, so a bulk
 * put costs one write. `check` normalizes an op or throws its error.
 */
export async function writeEach(
  target: WriteTarget,
  ops: readonly StoreOp[],
  check: (op: StoreOp) => StoreOp,
): Promise<Array<OpResult | AnykvError>> {
  const out: Array<OpResult | AnykvError> = [];
  let run: StoreOp[] = [];
  let runKeys = new Set<string>();
  const flush = async () => {
    if (run.length > 0) out.push(...(await commit(target, run)).results);
    run = [];
    runKeys = new Set();
  };
  for (const op of ops) {
    let checked: StoreOp;
    try {
      checked = check(op);
    } catch (err) {
      await flush();
      out.push(itemError(err));
      continue;
    }
    if (hasCondition(checked)) {
      await flush();
      out.push(await commit(target, [checked]).then((r) => r.results[0]!, itemError));
      continue;
    }
    if (runKeys.has(checked.key)) await flush();
    run.push(checked);
    runKeys.add(checked.key);
  }
  await flush();
  return out;
}

/**
 * Deletes the given entries (a listing) in atomic chunks, each conditional on
 * the revisions read. Not one snapshot: keys written meanwhile may stay.
 * Returns how many live keys it removed.
 */
export async function deleteEntries(target: WriteTarget, entries: AsyncIterable<Entry>): Promise<number> {
  let removed = 0;
  let chunk: StoreOp[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const { results } = await commit(target, chunk);
    removed += results.filter((r) => r.type === "del" && r.deleted).length;
    chunk = [];
  };
  for await (const entry of entries) {
    chunk.push({ type: "del", key: entry.key });
    if (chunk.length >= DELETE_CHUNK) await flush();
  }
  await flush();
  return removed;
}

/** An op's own failure (bad key, failed condition) becomes its result; anything else fails the call. */
function itemError(err: unknown): AnykvError {
  if (isAnykvError(err) && err.code !== "UNAVAILABLE") return err;
  throw err;
}
