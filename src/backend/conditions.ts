import { AnykvError } from "../errors.js";
import type { Condition } from "./backend.js";

/**
 * Why a write condition does not hold against a key's current revision
 * (`null` when the key is absent): a CONFLICT naming the key, or undefined
 * when it holds.
 */
export function conditionFailure(condition: Condition, current: number | null): AnykvError | undefined {
  if (condition.after) {
    const after = condition.after.revision;
    if (after !== undefined && after === current) return undefined;
    return new AnykvError("CONFLICT", `key "${condition.key}" was written by another write first`);
  }
  if (condition.revision === current) return undefined;
  if (condition.revision === null) return new AnykvError("CONFLICT", `key "${condition.key}" already exists`);
  const actual = current === null ? "does not exist" : `is at revision ${current}`;
  return new AnykvError("CONFLICT", `key "${condition.key}" ${actual}, not revision ${condition.revision}`);
}
