/**
 * The one domain error type. Codecs, the store and backends throw it with a
 * stable code; the server maps codes to gRPC codes at exactly one boundary
 * (src/server/error-mapping.ts). Codes never change meaning between releases.
 */
export type ErrorCode =
  /** The key breaks the key rules (empty, `..`, leading `/`, control characters, too long). */
  | "INVALID_KEY"
  /** The value cannot be stored with the requested mode, or fails its model. */
  | "INVALID_VALUE"
  /** Any other malformed request field (namespace, algorithm, glob, …). */
  | "INVALID_ARGUMENT"
  /** The key does not exist (or has expired). */
  | "NOT_FOUND"
  /** A model name that nobody registered. */
  | "MODEL_NOT_FOUND"
  /** A different model is registered under that name (register with replace to change it). */
  | "MODEL_EXISTS"
  /** The model cannot be deleted: another registered protobuf file imports its file. */
  | "MODEL_IN_USE"
  /** Stored bytes cannot be decoded with the requested mode or model. */
  | "DECODE_FAILED"
  /** A revision or absence condition was not met. */
  | "CONFLICT"
  /** A size, depth or count limit was exceeded. */
  | "LIMIT_EXCEEDED"
  /** The server may not do this (`--no-code`, …). */
  | "FORBIDDEN"
  /** The call carries no valid token, and the server requires one (`--auth-file`). */
  | "UNAUTHENTICATED"
  /** The call's token lacks the grant it needs: access (read, write, admin) to a namespace. */
  | "ACCESS_DENIED"
  /** The server was started with `--readonly`: it refuses every write. */
  | "READ_ONLY"
  /** A feature that this build does not have yet. */
  | "UNIMPLEMENTED"
  /** The backend cannot be reached. */
  | "UNAVAILABLE"
  /** A watch asked for a revision older than the retention window (etcd's "compacted revision"). */
  | "COMPACTED";

export class AnykvError extends Error {
  override readonly name = "AnykvError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      details?: readonly FieldViolation[];
      metadata?: Readonly<Record<string, string>>;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details ?? [];
    this.metadata = options?.metadata ?? {};
  }

  /**
   * Machine-readable facts for the caller, sent as google.rpc.ErrorInfo metadata (lowerCamelCase
   * keys), e.g. `oldestRevision`, or a failed precondition's `key`, `precondition`, `revision`.
   */
  readonly metadata: Readonly<Record<string, string>>;

  /** Field-level problems (google.rpc.BadRequest at the boundary). */
  readonly details: readonly FieldViolation[];
}

export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

export function isAnykvError(err: unknown, code?: ErrorCode): err is AnykvError {
  return err instanceof AnykvError && (code === undefined || err.code === code);
}
