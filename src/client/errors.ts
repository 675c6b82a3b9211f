import { Code, ConnectError } from "@connectrpc/connect";
import { type ErrorInfo, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { Status } from "../../gen/google/rpc/status_pb.js";

/** What anykv says about an error: its stable reason and facts (google.rpc.ErrorInfo). */
export interface AnykvErrorInfo {
  /** The stable reason, e.g. "CONFLICT", "INVALID_KEY", "COMPACTED" (README: "Errors"). */
  readonly reason: string;
  /** Facts for programs, e.g. `oldestRevision` of COMPACTED, `key` and `revision` of CONFLICT. */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The google.rpc.ErrorInfo of an anykv error (domain "anykv"): a call's ConnectError, or the
 * `error` of an item; undefined for errors that did not come from an anykv server.
 */
export function errorInfo(err: unknown): AnykvErrorInfo | undefined {
  if (!(err instanceof ConnectError)) return undefined;
  const info = err.findDetails(ErrorInfoSchema).find((i: ErrorInfo) => i.domain === "anykv");
  return info && { reason: info.reason, metadata: { ...info.metadata } };
}

/** An item's google.rpc.Status as the ConnectError a call failing with it would have thrown. */
export function statusError(status: Status): ConnectError {
  const code = status.code in Code ? (status.code as Code) : Code.Unknown;
  const err = new ConnectError(status.message, code);
  // As connect-es keeps the details of a failed call: type name and bytes, for findDetails.
  for (const any of status.details)
    err.details.push({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value });
  return err;
}
