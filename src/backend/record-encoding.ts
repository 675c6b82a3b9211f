import { AnykvError } from "../errors.js";
import type { RecordMeta, StoredRecord } from "./backend.js";

const decoder = new TextDecoder();

/**
 * One record as one byte string, so that value and metadata are always
 * written together: a 4-byte big-endian length, the metadata as JSON, the value.
 */
export function encodeRecord(record: StoredRecord): Uint8Array {
  // The JSON is written straight into the record (no intermediate bytes); small records come
  // from Buffer's pool. LevelDB copies what it is given, so pooled memory is safe to hand over.
  const json = JSON.stringify(record.meta);
  const metaBytes = Buffer.byteLength(json);
  const out = Buffer.allocUnsafe(4 + metaBytes + record.value.length);
  out.writeUInt32BE(metaBytes, 0);
  out.write(json, 4);
  out.set(record.value, 4 + metaBytes);
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
