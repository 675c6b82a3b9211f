import { Code } from "@connectrpc/connect";

/** gRPC's names of its codes ("OK", "NOT_FOUND", …), as grpc-status documents them, by number. */
const NAMES: readonly string[] = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/** The name logs and metrics give a code (connect's Code enum, with 0 for OK). */
export function codeName(code: Code | 0): string {
  return NAMES[code] ?? "UNKNOWN";
}

/** Codes that are the client's doing or its deadline, not a failure of the server. */
export function isCancellation(code: Code | 0): boolean {
  return code === Code.Canceled || code === Code.DeadlineExceeded;
}
