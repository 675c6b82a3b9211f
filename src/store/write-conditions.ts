import { AnykvError } from "../errors.js";

/**
 * A caller's precondition on one key of a write, like etcd's Txn compares and
 * Dapr's etags. At most one of the two is set.
 */
export interface WriteCondition {
  /** The key's current revision must be this one (a live key; expired keys have none). */
  readonly ifRevision?: number | undefined;
  /** The key must not exist; an expired key does not exist. */
  readonly ifAbsent?: boolean | undefined;
}

/** Checks a condition's shape once, before anything is read: INVALID_ARGUMENT when it makes no sense. */
export function checkConditionShape(condition: WriteCondition): void {
  const { ifRevision, ifAbsent } = condition;
  if (ifRevision === undefined) return;
  if (ifAbsent) throw new AnykvError("INVALID_ARGUMENT", "a precondition is a revision or absent, not both");
  if (!Number.isSafeInteger(ifRevision) || ifRevision < 1)
    throw new AnykvError(
      "INVALID_ARGUMENT",
      `a precondition's revision must be positive, not ${ifRevision} (use absent for "must not exist")`,
    );
}

export function hasCondition(condition: WriteCondition): boolean {
  return condition.ifRevision !== undefined || condition.ifAbsent === true;
}

/**
 * Checks a condition against what the key holds now (`liveRevision`
 * undefined when it is missing or expired); CONFLICT naming the key and the
 * condition when it does not hold.
 */
export function checkCondition(
  namespace: string,
  key: string,
  condition: WriteCondition,
  liveRevision: number | undefined,
): void {
  const where = `key "${key}"${namespace ? ` in namespace "${namespace}"` : ""}`;
  // What the error details say (ErrorInfo metadata, PreconditionFailure): the key, the condition
  // that failed, and the key's revision now ("0" when it does not exist).
  const metadata = (precondition: "absent" | "revision") => ({
    key,
    ...(namespace ? { namespace } : {}),
    precondition,
    revision: String(liveRevision ?? 0),
  });
  if (condition.ifAbsent && liveRevision !== undefined) {
    throw new AnykvError(
      "CONFLICT",
      `${where} exists (at revision ${liveRevision}); the precondition absent failed`,
      { metadata: metadata("absent") },
    );
  }
  const wanted = condition.ifRevision;
  if (wanted !== undefined && liveRevision !== wanted) {
    const actual = liveRevision === undefined ? "does not exist" : `is at revision ${liveRevision}`;
    throw new AnykvError("CONFLICT", `${where} ${actual}; the precondition revision=${wanted} failed`, {
      metadata: metadata("revision"),
    });
  }
}
