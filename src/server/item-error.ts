import type { Status } from "../../gen/google/rpc/status_pb.js";
import { isAnykvError } from "../errors.js";
import { toStatus } from "./error-mapping.js";

/**
 * An item's own failure (bad key, bad value, failed precondition, undecodable bytes) as the
 * google.rpc.Status of its result, with the code and details the call would have had.
 * Anything else (the backend is unavailable, a bug) is rethrown: it fails the whole call at the
 * error boundary instead of hiding in an item.
 */
export function toItemError(err: unknown): Status {
  if (!isAnykvError(err) || err.code === "UNAVAILABLE") throw err;
  return toStatus(err);
}
