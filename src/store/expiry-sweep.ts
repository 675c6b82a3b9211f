import type { Backend, Condition, StoredRecord, WriteOp } from "../backend/backend.js";
import { isAnykvError } from "../errors.js";
import type { RecordWrite } from "./record-writes.js";
import { dueRange, parseExpiryKey, parseRecordKey, RECORDS, recordKey } from "./system-keys.js";

// Due index entries handled per atomic write.
const SWEEP_BATCH = 500;

/** What the sweep needs from the store: the backend, the clock, and the one write path. */
export interface SweepTarget {
  readonly backend: Backend;
  now(): number;
  /** Writes through the store's write path with cause "expire" (events, index, chunks). */
  expire(writes: readonly RecordWrite[], conditions: readonly Condition[]): Promise<number>;
}

/**
 * Removes the keys whose expiry is due, reading only the due part of the
 * expiry index (system-keys.ts), in atomic batches conditional on the
 * revisions read: a key rewritten meanwhile is left alone (its rewrite moved
 * its index entry). Index entries without their record are removed.
 */
export async function sweepByIndex(target: SweepTarget): Promise<number> {
  const now = target.now();
  let removed = 0;
  for (;;) {
    const due: string[] = [];
    for await (const [raw] of target.backend.scan({ ...dueRange(now), limit: SWEEP_BATCH })) due.push(raw);
    if (due.length === 0) return removed;
    const stale: WriteOp[] = [];
    const expired: Array<{ namespace: string; key: string; record: StoredRecord }> = [];
    const entries = due.map(parseExpiryKey);
    const records = await target.backend.getMany(entries.map((e) => recordKey(e.namespace, e.key)));
    for (const [i, raw] of due.entries()) {
      const { expiresAt, namespace, key } = entries[i]!;
      const record = records[i];
      if (record?.meta.expiresAt === expiresAt) expired.push({ namespace, key, record });
      else stale.push({ type: "del", key: raw });
    }
    if (stale.length > 0) await target.backend.write(stale);
    removed += await expireAll(target, expired);
    if (due.length < SWEEP_BATCH) return removed;
  }
}

/**
 * The sweep without the index: scans every record. The TTL benchmark compares
 * it with sweepByIndex; `Store.sweepExpired({ scan: true })` runs it on request.
 */
export async function sweepByScan(target: SweepTarget): Promise<number> {
  const now = target.now();
  let removed = 0;
  let batch: Array<{ namespace: string; key: string; record: StoredRecord }> = [];
  for await (const [raw, record] of target.backend.scan(RECORDS)) {
    if (record.meta.expiresAt === undefined || record.meta.expiresAt > now) continue;
    batch.push({ ...parseRecordKey(raw), record });
    if (batch.length >= SWEEP_BATCH) {
      removed += await expireAll(target, batch);
      batch = [];
    }
  }
  return removed + (await expireAll(target, batch));
}

type Expired = { namespace: string; key: string; record: StoredRecord };

/** Expires records in one write; when one was rewritten meanwhile, one by one, skipping it. */
async function expireAll(target: SweepTarget, expired: readonly Expired[]): Promise<number> {
  if (expired.length === 0) return 0;
  try {
    await target.expire(...plan(expired));
    return expired.length;
  } catch (err) {
    if (!isAnykvError(err, "CONFLICT") || expired.length === 1) {
      if (isAnykvError(err, "CONFLICT")) return 0;
      throw err;
    }
  }
  let removed = 0;
  for (const one of expired) removed += await expireAll(target, [one]);
  return removed;
}

function plan(expired: readonly Expired[]): [RecordWrite[], Condition[]] {
  const writes = expired.map(
    ({ namespace, key, record }): RecordWrite => ({ namespace, op: { type: "del", key }, previous: record }),
  );
  const conditions = expired.map(({ namespace, key, record }) => ({
    key: recordKey(namespace, key),
    revision: record.meta.revision,
  }));
  return [writes, conditions];
}
