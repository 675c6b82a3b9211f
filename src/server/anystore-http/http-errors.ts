import { AnykvError, type ErrorCode } from "../../errors.js";
import type { HttpResponse } from "../http-types.js";

/** Domain error codes as HTTP statuses, as anystore's API answers them (FastAPI's {"detail": …} body). */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_KEY: 400,
  INVALID_VALUE: 400,
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  MODEL_EXISTS: 409,
  MODEL_IN_USE: 409,
  DECODE_FAILED: 422,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 413,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  ACCESS_DENIED: 403,
  READ_ONLY: 405,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  COMPACTED: 410,
};

/** An error the HTTP API answers with its own status (ranges, methods). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/**
 * Answers an error: AnykvErrors and HttpErrors with their status and message,
 * anything else as 500 "internal error" (reported through onInternal, never leaked).
 */
export function sendError(res: HttpResponse, err: unknown, onInternal: (err: unknown) => void): void {
  let status = 500;
  let detail = "internal error";
  let headers: Readonly<Record<string, string>> = {};
  // anykv's stable reason (as in gRPC's ErrorInfo), beside FastAPI's `detail`.
  let reason: string | undefined;
  if (err instanceof AnykvError) {
    status = STATUS[err.code];
    detail = err.message;
    reason = err.code;
    if (err.code === "UNAUTHENTICATED") headers = { "WWW-Authenticate": 'Bearer realm="anykv"' };
  } else if (err instanceof HttpError) {
    status = err.status;
    detail = err.message;
    headers = err.headers;
  } else {
    onInternal(err);
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(reason === undefined ? { detail } : { detail, reason });
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}
