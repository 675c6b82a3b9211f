import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { KeyInfo } from "../../gen/anykv/v1/value_pb.js";
import { type Entry, entrySize, MAX_EXPIRY_MS } from "../store/store.js";

/**
 * A store entry's metadata as the wire's KeyInfo. Built as a message literal rather than with
 * create() and timestampFromMs(): PutMany and ListValues build one per item, and create()'s
 * walk over the descriptor's fields showed in their profiles. The KeyInfo type lists every
 * field, so a field added to the message fails to compile here until it is filled in.
 */
export function keyInfo(entry: Entry): KeyInfo {
  const { meta } = entry;
  return {
    $typeName: "anykv.v1.KeyInfo",
    key: entry.key,
    namespace: entry.namespace,
    size: BigInt(entrySize(entry)),
    codec: meta.codec,
    kind: meta.kind,
    model: meta.model,
    contentType: meta.contentType || "application/octet-stream",
    createdAt: timestamp(meta.createdAt),
    updatedAt: timestamp(meta.updatedAt),
    // Expiries past the largest Timestamp (stored before puts refused them) read as that time.
    expiresAt: meta.expiresAt === undefined ? undefined : timestamp(Math.min(meta.expiresAt, MAX_EXPIRY_MS)),
    revision: BigInt(meta.revision),
  };
}

/** protobuf-es's timestampFromMs, as a literal. */
function timestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return {
    $typeName: "google.protobuf.Timestamp",
    seconds: BigInt(seconds),
    nanos: (ms - seconds * 1000) * 1_000_000,
  };
}
