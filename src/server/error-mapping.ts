import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AnykvError, type ErrorCode } from "../errors.js";
import { cancellation, requestError } from "./request-errors.js";

type OutgoingDetail = NonNullable<ConstructorParameters<typeof ConnectError>[3]>[number];

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
  UNIMPLEMENTED: Code.Unimplemented,
  UNAVAILABLE: Code.Unavailable,
  COMPACTED: Code.OutOfRange,
};

/**
 * AnykvError → ConnectError with its code; ConnectErrors pass; anything else
 * is reported through `onInternal` and answered as INTERNAL with no internals.
 */
export function toConnectError(err: unknown, onInternal: (err: unknown) => void): ConnectError {
  if (err instanceof ConnectError) return requestError(err.code, err.rawMessage) ?? err;
  if (err instanceof AnykvError) {
    return new ConnectError(
      err.message,
      CODES[err.code],
      { ...err.metadata, "anykv-error-code": err.code },
      badRequest(err),
      err,
    );
  }
  onInternal(err);
  return new ConnectError("internal error", Code.Internal);
}

/** Field violations as a google.rpc.BadRequest error detail (README: "Error details"). */
function badRequest(err: AnykvError): OutgoingDetail[] | undefined {
  if (err.details.length === 0) return undefined;
  const fieldViolations = err.details.map((v) => ({ field: v.field, description: v.description }));
  return [{ desc: BadRequestSchema, value: { fieldViolations } }];
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
