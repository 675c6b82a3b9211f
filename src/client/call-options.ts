import type { CallOptions as ConnectCallOptions } from "@connectrpc/connect";
import type { ModeName } from "../codec/typed-value.js";
import type { ModelOptions } from "./model-values.js";

/** What `new Headers()` takes: a Headers, a record or a list of pairs. */
type HeadersInit = ConstructorParameters<typeof Headers>[0];

/**
 * What any call may say about how it is sent: a deadline, headers, a signal. createStore takes
 * the same three as defaults for every call (connect-es's call options, one module that every
 * client file shares).
 */
export interface RequestOptions {
  /**
   * The call's deadline in milliseconds (gRPC's grpc-timeout): past it the call fails
   * DEADLINE_EXCEEDED. A store's default applies to unary calls only (a default deadline would
   * end every Watch and long download); a call's own applies to whatever call it is given to.
   * @default none
   */
  readonly timeoutMs?: number;
  /**
   * Request headers (metadata). A call's headers are added to the store's, replacing those of the
   * same name.
   * @default none
   */
  readonly headers?: HeadersInit;
  /**
   * Aborting cancels the call (CANCELLED). The store's signal and a call's both cancel it.
   * @default none
   */
  readonly signal?: AbortSignal;
}

/** How values are written and read; a call's override the store's. */
export interface ValueOptions {
  /**
   * Serialization mode.
   * @default the server's default (auto)
   */
  readonly mode?: ModeName;
  /**
   * Throw NOT_FOUND for a missing key; when false, get returns undefined.
   * @default true
   */
  readonly raiseOnNonexist?: boolean;
  /** Applied to a value before it is sent. */
  readonly serializationFunc?: (value: unknown) => unknown;
  /** Applied to what the mode decoded (with mode raw, the bytes). */
  readonly deserializationFunc?: (value: unknown) => unknown;
  /**
   * Revive stored javascript code as functions. Reviving code runs it, so it is
   * off unless you trust everyone who can write to the store; a get of code then
   * throws. (The server also stores and serves code only with --allow-code.)
   * @default false
   */
  readonly trustCode?: boolean;
}

/** Options of one call; each overrides the store's. */
export type CallOptions = ValueOptions &
  RequestOptions & {
    /** TTL in seconds; 0 means never expire. */
    readonly ttl?: number;
  } & ModelOptions;

/** Options of a key listing (keys, values, deletePrefix). */
export interface ListKeysOptions extends RequestOptions {
  readonly prefix?: string;
  readonly excludePrefix?: string;
  readonly glob?: string;
  readonly limit?: number;
  /** Descending key order. */
  readonly reverse?: boolean;
  /** Start after this key (exclusive): the last key of the previous page. */
  readonly startAfter?: string;
}

/** Unary calls take the store's default deadline; streams only a deadline of their own. */
export type CallShape = "unary" | "stream";

/**
 * Connect's options for one call: the call's deadline (else, for a unary call, the store's),
 * the store's headers with the call's over them, and both signals.
 */
export function connectOptions(
  defaults: RequestOptions,
  call: RequestOptions | undefined,
  shape: CallShape = "unary",
): ConnectCallOptions {
  const timeoutMs = call?.timeoutMs ?? (shape === "unary" ? defaults.timeoutMs : undefined);
  const signals = [defaults.signal, call?.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  let headers: Headers | undefined;
  if (defaults.headers !== undefined || call?.headers !== undefined) {
    headers = new Headers(defaults.headers);
    for (const [name, value] of new Headers(call?.headers)) headers.set(name, value);
  }
  return {
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(signal && { signal }),
    ...(headers && { headers }),
  };
}

/** Turns a call's options into connect's, with the store's defaults filled in. */
export type ConnectOptionsOf = (call: RequestOptions | undefined, shape?: CallShape) => ConnectCallOptions;

/**
 * A server stream that is cancelled when its reader stops before its end (a break, return or
 * throw in the reader's for-await loop). connect-es leaves the HTTP/2 stream open then, and with
 * it the server's handler until the connection closes: a listing blocked on flow control with its
 * LevelDB iterator, a watch in the change feed. `open` gets the call's options with a signal that
 * also aborts when the iteration ends, however it ends.
 */
export async function* cancelOnExit<O extends RequestOptions, T>(
  options: O,
  open: (options: O) => AsyncIterable<T>,
): AsyncGenerator<T, void, undefined> {
  const exit = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, exit.signal]) : exit.signal;
  try {
    yield* open({ ...options, signal });
  } finally {
    // After a stream that ended on its own this cancels nothing.
    exit.abort();
  }
}
