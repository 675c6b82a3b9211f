import type { NewRecord, ScanRange } from "../backend/backend.js";

/**
 * The store's key spaces in the backend, one leading letter each:
 *
 *   d<namespace>\0<key>                 a record (see store.ts)
 *   x<expiresAt, 15 digits><namespace>\0<key>   the expiry index: one empty record per key with a TTL
 *   b<upload id>/<index, 8 digits>      a chunk of a value stored in chunks
 *   u<upload id>                        an upload in progress (its chunks are not referenced yet)
 *   m\0…                                registered models (model-catalog.ts)
 *
 * Namespaces and keys never contain NUL, and the timestamp is fixed-width, so
 * every key parses back unambiguously and the index sorts by expiry time.
 */
export const RECORDS: ScanRange = { gte: "d", lt: "e" };

export function recordKey(namespace: string, key: string): string {
  return `d${namespace}\u0000${key}`;
}

/** A record key's namespace and key. */
export function parseRecordKey(raw: string): { namespace: string; key: string } {
  const split = raw.indexOf("\u0000");
  return { namespace: raw.slice(1, split), key: raw.slice(split + 1) };
}

const TIME_DIGITS = 15;

export function expiryKey(expiresAt: number, namespace: string, key: string): string {
  return `x${String(expiresAt).padStart(TIME_DIGITS, "0")}${namespace}\u0000${key}`;
}

/** The index entries due at `now` (expiresAt <= now), in expiry order. */
export function dueRange(now: number): ScanRange {
  return { gte: "x", lt: `x${String(Math.floor(now) + 1).padStart(TIME_DIGITS, "0")}` };
}

export function parseExpiryKey(raw: string): { expiresAt: number; namespace: string; key: string } {
  const expiresAt = Number(raw.slice(1, 1 + TIME_DIGITS));
  const rest = raw.slice(1 + TIME_DIGITS);
  const split = rest.indexOf("\u0000");
  return { expiresAt, namespace: rest.slice(0, split), key: rest.slice(split + 1) };
}

export function chunkKey(id: string, index: number): string {
  return `b${id}/${String(index).padStart(8, "0")}`;
}

export function uploadKey(id: string): string {
  return `u${id}`;
}

export const UPLOADS: ScanRange = { gte: "u", lt: "v" };

/** The record of index entries, chunks and upload markers: what matters is the key (and a chunk's bytes). */
export function systemRecord(value: Uint8Array = new Uint8Array()): NewRecord {
  return { value, meta: { codec: "", kind: "", model: "", contentType: "", createdAt: 0, updatedAt: 0 } };
}
