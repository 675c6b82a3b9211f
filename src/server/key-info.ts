import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type KeyInfo, KeyInfoSchema } from "../../gen/anykv/v1/value_pb.js";
import { type Entry, entrySize, MAX_EXPIRY_MS } from "../store/store.js";

/** A store entry's metadata as the wire's KeyInfo. */
export function keyInfo(entry: Entry): KeyInfo {
  const { meta } = entry;
  return create(KeyInfoSchema, {
    key: entry.key,
    namespace: entry.namespace,
    size: BigInt(entrySize(entry)),
    codec: meta.codec,
    kind: meta.kind,
    model: meta.model,
    contentType: meta.contentType || "application/octet-stream",
    createdAt: timestampFromMs(meta.createdAt),
    updatedAt: timestampFromMs(meta.updatedAt),
    // Expiries past the largest Timestamp (stored before puts refused them) read as that time.
    ...(meta.expiresAt === undefined
      ? {}
      : { expiresAt: timestampFromMs(Math.min(meta.expiresAt, MAX_EXPIRY_MS)) }),
    revision: BigInt(meta.revision),
  });
}
