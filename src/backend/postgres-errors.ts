import { AnykvError } from "../errors.js";

/** Node socket errors: the engine cannot be reached. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENOENT",
]);

/** What pg says when a connection ends under a query, or cannot be had in time. */
const CONNECTION_LOST =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection timed out/;

/**
 * Whether a pg error means the engine is unreachable rather than that the statement is wrong:
 * a socket error, a lost connection, or a server that is going away or not ready
 * (SQLSTATE class 08 connection exception, 57P01-57P03 shutdown/starting, 53 out of resources).
 */
export function isEngineDown(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") {
    if (SOCKET_CODES.has(code)) return true;
    if (code.startsWith("08") || code.startsWith("57P") || code.startsWith("53")) return true;
  }
  return CONNECTION_LOST.test(err.message);
}

/** UNAVAILABLE for an engine error while the engine is down (cause kept), anything else unchanged. */
export function engineError(err: unknown, where: string): unknown {
  if (!isEngineDown(err)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new AnykvError("UNAVAILABLE", `PostgreSQL at ${where} is unavailable: ${reason}`, { cause: err });
}
