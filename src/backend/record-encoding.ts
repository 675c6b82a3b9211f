import { AnykvError } from "../errors.js";
import type { RecordMeta, StoredRecord } from "./backend.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One record as one byte string, so that value and metadata are always
 * written together: a 4-byte big-endian length, the metadata as JSON, the value.
 */
export function encodeRecord(record: StoredRecord): Uint8Array {
  const meta = encoder.encode(JSON.stringify(record.meta));
  const out = new Uint8Array(4 + meta.length + record.value.length);
  new DataView(out.buffer).setUint32(0, meta.length);
  out.set(meta, 4);
  out.set(record.value, 4 + meta.length);
  return out;
}

export function decodeRecord(bytes: Uint8Array): StoredRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.length >= 4 ? view.getUint32(0) : -1;
  if (length < 0 || 4 + length > bytes.length)
    throw new AnykvError("DECODE_FAILED", "a stored record is corrupt");
  const meta = JSON.parse(decoder.decode(bytes.subarray(4, 4 + length))) as RecordMeta;
  return { meta, value: bytes.subarray(4 + length) };
}
