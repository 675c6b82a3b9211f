import type { StoredRecord } from "../backend/backend.js";
import { decodeRecord, encodeRecord } from "../backend/record-encoding.js";
import { AnykvError } from "../errors.js";
import type { RecordWrite } from "./record-writes.js";
import { isLive } from "./store-write.js";
import type { ChangeEvent } from "./watch-hub.js";

// The change log entry of one write (Backend.write's `change`): its events, encoded once by the
// store and decoded by every tail and catch-up read. Layout (big-endian):
//   u8 version (1) | f64 written at (ms) | u32 event count |
//   per event: u8 type | u32 namespace bytes | namespace | u32 key bytes | key | u32 record bytes | record
// A record is record-encoding.ts's (metadata JSON + value). A put's record has no revision: it
// is the entry's (the backend assigns it); a removal's record is the removed one, as it was.
const VERSION = 1;
const TYPES = ["put", "delete", "expire"] as const;
const HEADER = 1 + 8 + 4;

/** What a log entry says before its events are decoded: enough for compaction to weigh it. */
export interface ChangeSummary {
  /** When the write was made (ms since the epoch). */
  readonly at: number;
  /** How many events it holds. */
  readonly events: number;
}

interface Part {
  readonly type: number;
  readonly namespace: Buffer;
  readonly key: Buffer;
  readonly record: Uint8Array;
}

/**
 * The change log entry of record writes (record-writes.ts): a put, a delete, or an expiry (the
 * sweep's deletes, and any write that finds the old record expired: a put over it reports the
 * expiry first). Undefined when the writes have no events.
 */
export function encodeChange(
  writes: readonly RecordWrite[],
  expiring: boolean,
  now: number,
): Uint8Array | undefined {
  const parts: Part[] = [];
  let size = HEADER;
  const add = (type: number, namespace: string, key: string, record: StoredRecord) => {
    const part = {
      type,
      namespace: Buffer.from(namespace),
      key: Buffer.from(key),
      record: encodeRecord(record),
    };
    parts.push(part);
    size += 1 + 12 + part.namespace.length + part.key.length + part.record.length;
  };
  for (const { namespace, op, previous } of writes) {
    if (previous) {
      const lapsed = expiring || !isLive(previous, now);
      // A put over a live record replaces it without a removal event.
      if (op.type === "del" || lapsed) add(lapsed ? 2 : 1, namespace, op.key, previous);
    }
    if (op.type === "put")
      add(0, namespace, op.key, { value: op.record.value, meta: { ...op.record.meta, revision: 0 } });
  }
  if (parts.length === 0) return undefined;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt8(VERSION, 0);
  out.writeDoubleBE(now, 1);
  out.writeUInt32BE(parts.length, 9);
  let at = HEADER;
  for (const part of parts) {
    out.writeUInt8(part.type, at);
    at += 1;
    for (const bytes of [part.namespace, part.key, part.record]) {
      out.writeUInt32BE(bytes.length, at);
      out.set(bytes, at + 4);
      at += 4 + bytes.length;
    }
  }
  return out;
}

/** The header of a log entry. */
export function summarizeChange(change: Uint8Array): ChangeSummary {
  const bytes = asBuffer(change);
  if (bytes.length < HEADER || bytes.readUInt8(0) !== VERSION) throw corrupt();
  return { at: bytes.readDoubleBE(1), events: bytes.readUInt32BE(9) };
}

/** The events of a log entry written under `revision`. */
export function decodeChange(change: Uint8Array, revision: number): ChangeEvent[] {
  const bytes = asBuffer(change);
  const { events: count } = summarizeChange(bytes);
  const events: ChangeEvent[] = [];
  let at = HEADER;
  const take = () => {
    if (at + 4 > bytes.length) throw corrupt();
    const length = bytes.readUInt32BE(at);
    const start = at + 4;
    at = start + length;
    if (at > bytes.length) throw corrupt();
    return bytes.subarray(start, at);
  };
  for (let i = 0; i < count; i++) {
    const type = TYPES[bytes.readUInt8(at)];
    at += 1;
    if (!type) throw corrupt();
    const namespace = take().toString();
    const key = take().toString();
    const record = decodeRecord(take());
    const meta = type === "put" ? { ...record.meta, revision } : record.meta;
    events.push({ type, namespace, key, revision, entry: { key, namespace, value: record.value, meta } });
  }
  return events;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function corrupt(): AnykvError {
  return new AnykvError("DECODE_FAILED", "a change log entry is corrupt");
}
