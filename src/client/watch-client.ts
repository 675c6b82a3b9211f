import { type Client, Code, ConnectError } from "@connectrpc/connect";
import {
  type StoreService,
  WatchEvent_Type,
  type WatchEvent as WireWatchEvent,
} from "../../gen/anykv/v1/store_pb.js";
import type { Value, KeyInfo as WireKeyInfo } from "../../gen/anykv/v1/value_pb.js";
import type { ModeName } from "../codec/typed-value.js";
import { type ConnectOptionsOf, cancelOnExit, connectOptions, type RequestOptions } from "./call-options.js";
import { statusError } from "./errors.js";
import type { KeyInfo } from "./key-info.js";

/** One change of a key. */
export interface WatchEvent<T = unknown> {
  readonly type: "put" | "delete" | "expire";
  readonly key: string;
  readonly revision: bigint;
  /** After a put, the new metadata; otherwise the removed key's. */
  readonly info: KeyInfo | undefined;
  /** The put's value, with includeValues (not for values stored in chunks). */
  readonly value?: T;
  /**
   * Why the put's value could not be decoded in the requested mode (a ConnectError with the
   * code and details a Get would have failed with); the watch goes on.
   */
  readonly error?: ConnectError;
}

/** A watch takes headers and a signal; no deadline (it resumes after one, as after any break). */
export interface WatchOptions extends Pick<RequestOptions, "headers" | "signal"> {
  /** Path-segment prefix; "" (default) watches every key of the namespace. */
  readonly prefix?: string;
  /** First revision to report; default: changes from now on. */
  readonly startRevision?: bigint | number;
  /** Send each put's value. @default false */
  readonly includeValues?: boolean;
  readonly mode?: ModeName;
  /**
   * How long to wait before reconnecting after a broken stream, in ms; doubled up to 5 s
   * while the server stays unreachable.
   * @default 100
   */
  readonly retryDelayMs?: number;
  /** Ends the watch. */
}

export interface WatchMethods {
  /**
   * The changes under a prefix, as an endless async iterable. A broken stream (the server
   * restarting, the network) is resumed from the revision after the last one seen or the
   * last progress notification (which the server sends on a quiet prefix), so no event
   * inside the server's retention window is missed; OUT_OF_RANGE (the window has moved
   * past that revision) ends the iteration with the error. Break out of the loop or abort
   * the signal to stop.
   */
  watch<T = unknown>(options?: WatchOptions): AsyncIterable<WatchEvent<T>>;
}

const TYPES: Partial<Record<WatchEvent_Type, WatchEvent["type"]>> = {
  [WatchEvent_Type.PUT]: "put",
  [WatchEvent_Type.DELETE]: "delete",
  [WatchEvent_Type.EXPIRE]: "expire",
};

// Codes after which the stream is resumed: the server or the connection went away. A server
// killed mid-stream shows as CANCEL on the HTTP/2 stream (Canceled), which is not the caller's
// own cancel when its signal has not aborted.
const TRANSIENT = new Set([
  Code.Canceled,
  Code.Unavailable,
  Code.Unknown,
  Code.Internal,
  Code.DeadlineExceeded,
  Code.Aborted,
]);

export function createWatchMethods(deps: {
  readonly rpc: Client<typeof StoreService>;
  readonly namespace: string;
  /** The store's headers and signal under each call's (call-options.ts). @default none */
  readonly rpcOptions?: ConnectOptionsOf;
  mode(name: ModeName | undefined): number;
  decode(value: Value): unknown;
  keyInfo(info: WireKeyInfo): KeyInfo;
}): WatchMethods {
  return {
    async *watch<T>(options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
      let next = BigInt(options.startRevision ?? 0);
      const baseDelay = options.retryDelayMs ?? 100;
      let delay = baseDelay;
      for (;;) {
        try {
          const request = {
            namespace: deps.namespace,
            prefix: options.prefix ?? "",
            startRevision: next,
            includeValues: options.includeValues ?? false,
            mode: deps.mode(options.mode),
          };
          const callOptions = deps.rpcOptions ?? ((call) => connectOptions({}, call));
          const stream = cancelOnExit(options, (call) =>
            deps.rpc.watch(request, callOptions(call, "stream")),
          );
          for await (const res of stream) {
            delay = baseDelay;
            // From now on a resume starts after what this stream has reported.
            if (res.created) {
              if (next === 0n) next = res.revision + 1n;
              continue;
            }
            // Progress on a quiet prefix: nothing up to res.revision is left to see, so a resume
            // starts after it (the log may be compacted past the last event seen).
            if (res.progress) {
              if (res.revision + 1n > next) next = res.revision + 1n;
              continue;
            }
            for (const event of res.events) {
              const type = TYPES[event.type];
              if (!type) continue;
              yield {
                type,
                key: event.key,
                revision: event.revision,
                info: event.info && deps.keyInfo(event.info),
                ...eventValue<T>(event, deps.decode),
              };
            }
            next = res.revision + 1n;
          }
        } catch (err) {
          if (options.signal?.aborted) return;
          // Only the stream's own failures are retried: an error of the client's (a value it
          // cannot decode) would fail again on every resume.
          if (!(err instanceof ConnectError) || !TRANSIENT.has(err.code)) throw err;
        }
        if (options.signal?.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    },
  };
}

function eventValue<T>(
  event: WireWatchEvent,
  decode: (value: Value) => unknown,
): { value?: T; error?: ConnectError } {
  switch (event.result.case) {
    case "value":
      return { value: decode(event.result.value) as T };
    case "error":
      return { error: statusError(event.result.value) };
    default:
      return {};
  }
}
