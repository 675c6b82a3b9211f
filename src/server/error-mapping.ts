import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { BadRequestSchema, PreconditionFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type Status, StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { AnykvError, type ErrorCode } from "../errors.js";
import { detail, type ErrorDetail, errorInfo } from "./error-info.js";
import { cancellation, requestError } from "./request-errors.js";

export { ERROR_DOMAIN, type ErrorDetail } from "./error-info.js";

/** The one place where domain errors become gRPC codes (README: "Errors"). */
const CODES: Readonly<Record<ErrorCode, Code>> = {
  INVALID_KEY: Code.InvalidArgument,
  INVALID_VALUE: Code.InvalidArgument,
  INVALID_ARGUMENT: Code.InvalidArgument,
  NOT_FOUND: Code.NotFound,
  MODEL_NOT_FOUND: Code.NotFound,
  MODEL_EXISTS: Code.AlreadyExists,
  MODEL_IN_USE: Code.FailedPrecondition,
  DECODE_FAILED: Code.FailedPrecondition,
  CONFLICT: Code.Aborted,
  LIMIT_EXCEEDED: Code.ResourceExhausted,
  FORBIDDEN: Code.PermissionDenied,
  UNAUTHENTICATED: Code.Unauthenticated,
  ACCESS_DENIED: Code.PermissionDenied,
  READ_ONLY: Code.FailedPrecondition,
  UNIMPLEMENTED: Code.Unimplemented,
  UNAVAILABLE: Code.Unavailable,
  COMPACTED: Code.OutOfRange,
};

/** The gRPC code of a domain error code. */
export function grpcCode(code: ErrorCode): Code {
  return CODES[code];
}

/**
 * AnykvError → ConnectError with its code and details (errorDetails); ConnectErrors pass;
 * anything else is reported through `onInternal` and answered as INTERNAL with no internals.
 * Every way into the server (connect-node, a lean gRPC path) answers errors through here, so
 * grpc-status-details-bin always carries the same details.
 */
export function toConnectError(err: unknown, onInternal: (err: unknown) => void): ConnectError {
  if (err instanceof ConnectError) return requestError(err.code, err.rawMessage) ?? err;
  if (err instanceof AnykvError) {
    return new ConnectError(err.message, CODES[err.code], undefined, errorDetails(err), err);
  }
  onInternal(err);
  return new ConnectError("internal error", Code.Internal);
}

/**
 * The google.rpc error details of a domain error: always an ErrorInfo (domain "anykv", the
 * stable code as reason, the error's metadata), a BadRequest when fields are at fault, and a
 * PreconditionFailure when a precondition failed.
 */
export function errorDetails(err: AnykvError): ErrorDetail[] {
  const details: ErrorDetail[] = [errorInfo(err.code, err.metadata)];
  if (err.details.length > 0) {
    const fieldViolations = err.details.map((v) => ({ field: v.field, description: v.description }));
    details.push(detail(BadRequestSchema, { fieldViolations }));
  }
  if (err.code === "CONFLICT") {
    // The type names the precondition that failed (REVISION or ABSENT), the subject the key.
    const type = err.metadata.precondition === "absent" ? "ABSENT" : "REVISION";
    const violations = [{ type, subject: err.metadata.key ?? "", description: err.message }];
    details.push(detail(PreconditionFailureSchema, { violations }));
  }
  return details;
}

/**
 * A domain error as a google.rpc.Status, for results that carry an item's own failure (an item
 * of PutMany, GetMany or DeleteMany, a ListValues item, a Watch event's value): the code,
 * message and details a call failing with it would have had.
 */
export function toStatus(err: AnykvError): Status {
  return create(StatusSchema, {
    code: CODES[err.code],
    message: err.message,
    details: errorDetails(err).map((d) => anyPack(d.desc, create(d.desc, d.value))),
  });
}

/** A server interceptor that maps errors of unary calls and of every streamed message. */
export function createErrorInterceptor(onInternal: (err: unknown) => void): Interceptor {
  return (next) => async (req) => {
    const map = (err: unknown) => cancellation(req.signal) ?? toConnectError(err, onInternal);
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: mapErrors(res.message, map, req.signal) };
    } catch (err) {
      throw map(err);
    }
  };
}

async function* mapErrors<T>(
  stream: AsyncIterable<T>,
  map: (err: unknown) => ConnectError,
  signal: AbortSignal,
): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (err) {
    throw map(err);
  }
  // A stream that stopped because its call was aborted (a deadline) did not end well.
  const stopped = cancellation(signal);
  if (stopped) throw stopped;
}
