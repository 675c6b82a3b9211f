import { create } from "@bufbuild/protobuf";
import { type ItemError, ItemErrorSchema } from "../../gen/anykv/v1/store_pb.js";
import { isAnykvError } from "../errors.js";
import { toConnectError } from "./error-mapping.js";

/**
 * An item's own failure (bad key, bad value, failed condition, undecodable
 * bytes) as the wire's ItemError, with the gRPC code the call would have had.
 * Anything else (the backend is unavailable, a bug) is rethrown: it fails the
 * whole call at the error boundary instead of hiding in an item.
 */
export function toItemError(err: unknown): ItemError {
  if (!isAnykvError(err) || err.code === "UNAVAILABLE") throw err;
  const mapped = toConnectError(err, () => undefined);
  return create(ItemErrorSchema, { code: mapped.code, message: err.message, reason: err.code });
}
