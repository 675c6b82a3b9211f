import type { StoredRecord, WriteOp } from "../backend/backend.js";
import { chunkKey, expiryKey, recordKey, systemRecord, uploadKey } from "./system-keys.js";

/** A write of one record of a namespace, with the record it replaces or removes (raw: expired ones too). */
export interface RecordWrite {
  readonly namespace: string;
  readonly op: WriteOp;
  readonly previous: StoredRecord | undefined;
}

/**
 * The backend ops of record writes, in one atomic write: the records
 * themselves, their expiry index entries (the old one removed, the new one
 * added), the chunks of replaced chunked values (removed), and the upload
 * marker of a newly committed chunked value (removed: its chunks are now
 * referenced). So the index and the chunks can never disagree with the records.
 */
export function recordOps(writes: readonly RecordWrite[]): WriteOp[] {
  const out: WriteOp[] = [];
  for (const { namespace, op, previous } of writes) {
    const key = recordKey(namespace, op.key);
    const next = op.type === "put" ? op.record.meta : undefined;
    out.push(op.type === "put" ? { type: "put", key, record: op.record } : { type: "del", key });
    const before = previous?.meta.expiresAt;
    if (before !== undefined && before !== next?.expiresAt)
      out.push({ type: "del", key: expiryKey(before, namespace, op.key) });
    if (next?.expiresAt !== undefined)
      out.push({ type: "put", key: expiryKey(next.expiresAt, namespace, op.key), record: systemRecord() });
    const oldChunks = previous?.meta.chunks;
    if (oldChunks && oldChunks.id !== next?.chunks?.id) {
      for (let i = 0; i < oldChunks.count; i++) out.push({ type: "del", key: chunkKey(oldChunks.id, i) });
    }
    if (next?.chunks && next.chunks.id !== oldChunks?.id)
      out.push({ type: "del", key: uploadKey(next.chunks.id) });
  }
  return out;
}
