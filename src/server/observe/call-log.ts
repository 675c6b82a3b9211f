import type { Code } from "@connectrpc/connect";
import { codeName, isCancellation } from "./code-names.js";
import { type Logger, lineWriter } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** One call as every way into the server reports it (connect's adapter, the gRPC fast path, /anystore). */
export interface CallRecord {
  /** "anykv.v1.StoreService/Get" for RPCs (the gRPC path without its slash); "GET /anystore" for the HTTP API. */
  method: string;
  /** "grpc", "grpc-web", "connect" or "http". */
  protocol: string;
  /** The request's namespace, once known ("" is the default one). */
  namespace: string | undefined;
  /** performance.now() at the start. */
  readonly start: number;
  readonly streaming: boolean;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Where calls are reported: the access log (one line per call, written at its end) and the
 * metrics. A call is begun once and ended once.
 */
export interface CallLog {
  begin(method: string, protocol: string, streaming: boolean): CallRecord;
  /** The call answered `code` (0 for OK); the peer's address is read only when a line is written. */
  end(call: CallRecord, code: Code | 0, peer: PeerSocket | undefined, extra?: AccessExtra): void;
}

/** Fields an access line may carry besides the call's own. */
export interface AccessExtra {
  /** The HTTP status of an anystore HTTP API answer. */
  readonly status?: number;
  /** The path of a request that names no served method (its method is "unknown"), cut at 256 characters. */
  readonly path?: string;
}

/**
 * The access log and metrics of calls. The line is one pino line at the call's end with plain
 * fields (no child logger per call; written by lineWriter): method, protocol, namespace, code,
 * ms, bytesIn, bytesOut, peer. It never carries keys, values or headers (tokens). Calls the
 * client cancelled or whose deadline passed are logged at debug; every other call at info (an
 * INTERNAL error is also logged at error with its cause, once, where it is mapped).
 */
export function createCallLog(logger: Logger, metrics: Metrics | undefined): CallLog {
  const info = logger.isLevelEnabled("info");
  const debug = logger.isLevelEnabled("debug");
  const write = lineWriter(logger);
  return {
    begin(method, protocol, streaming) {
      metrics?.callStarted(streaming, method);
      return {
        method,
        protocol,
        namespace: undefined,
        start: performance.now(),
        streaming,
        bytesIn: 0,
        bytesOut: 0,
      };
    },
    end(call, code, peer, extra) {
      const ms = performance.now() - call.start;
      metrics?.callEnded(call.streaming, call.method, code, ms / 1000, call.bytesIn, call.bytesOut);
      const quiet = isCancellation(code);
      if (quiet ? !debug : !info) return;
      const line = {
        method: call.method,
        protocol: call.protocol,
        namespace: call.namespace,
        code: codeName(code),
        ...extra,
        ms: Math.round(ms * 1000) / 1000,
        bytesIn: call.bytesIn,
        bytesOut: call.bytesOut,
        peer: peerOf(peer),
      };
      write(quiet ? "debug" : "info", line, "call");
    },
  };
}

/** The namespace a request message names: its own field, or its first part's (Upload's header). */
export function namespaceOf(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as { namespace?: unknown; part?: { value?: { namespace?: unknown } } };
  if (typeof m.namespace === "string") return m.namespace;
  const inner = m.part?.value?.namespace;
  return typeof inner === "string" ? inner : undefined;
}

/** The socket a call came on, as far as the access line reads it. */
export interface PeerSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** "address:port" of a socket, "[v6]:port" for IPv6. */
function peerOf(socket: PeerSocket | undefined): string | undefined {
  const address = socket?.remoteAddress;
  if (address === undefined) return undefined;
  return address.includes(":") ? `[${address}]:${socket?.remotePort}` : `${address}:${socket?.remotePort}`;
}
