import type http from "node:http";
import type http2 from "node:http2";
import {
  Code,
  type ConnectError,
  createContextKey,
  createContextValues,
  type Interceptor,
} from "@connectrpc/connect";
import { codeFromHttpStatus } from "@connectrpc/connect/protocol-connect";
import { cancellation } from "../request-errors.js";
import type { CallLog, CallRecord } from "./call-log.js";
import { namespaceOf } from "./call-log.js";

/** A call served through Node's request handler, with what its answer said so far. */
interface HttpCall extends CallRecord {
  /** The code an interceptor saw, or the grpc-status trailer; undefined until known. */
  code: Code | 0 | undefined;
}

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
/** The methods observeHttpCall wraps, as both kinds of request and response have them. */
type Patchable = Record<"push" | "write" | "end" | "addTrailers", (...args: unknown[]) => unknown>;

const CALL = createContextKey<HttpCall | undefined>(undefined, { description: "anykv access record" });
const calls = new WeakMap<object, HttpCall>();

/**
 * Begins the access record of a request that Node's HTTP servers hand to the request handler
 * (every RPC except the gRPC fast path's, and the anystore HTTP API), counts the bytes of its
 * body and of the answer, and ends it when the response closes. The code is the one the RPC
 * interceptor (callInterceptor) saw; for answers given before any interceptor runs (a request
 * that does not parse, an unknown method) it is read from the grpc-status trailer or the HTTP
 * status; a response closed before it was finished is CANCELLED.
 */
export function observeHttpCall(
  log: CallLog,
  req: NodeRequest,
  res: NodeResponse,
  kind: { rpc: true; streaming: boolean | undefined } | { rpc: false; method: string; namespace: string },
): void {
  const type = req.headers["content-type"] ?? "";
  const protocol = kind.rpc ? protocolOf(type) : "http";
  // A path that names no served method is "unknown" (its path goes to the log line only), so that
  // clients cannot add series to /metrics by inventing paths.
  const path = (req.url ?? "").split("?", 1)[0] as string;
  const known = !kind.rpc || kind.streaming !== undefined;
  const method = kind.rpc ? (known ? path.slice(1) : "unknown") : kind.method;
  const call = log.begin(method, protocol, kind.rpc && kind.streaming === true) as HttpCall;
  call.code = undefined;
  if (!kind.rpc) call.namespace = kind.namespace;
  calls.set(req, call);
  // Node's HTTP/1.1 parser and HTTP/2 compatibility layer hand the body to push().
  const r = req as unknown as Patchable;
  const push = r.push;
  r.push = function (this: unknown, ...args: unknown[]) {
    const chunk = args[0];
    if (chunk instanceof Uint8Array) call.bytesIn += chunk.length;
    return push.apply(this, args);
  };
  let last: Uint8Array | undefined;
  let ended = false;
  const count = (chunk: unknown) => {
    if (typeof chunk === "string") call.bytesOut += Buffer.byteLength(chunk);
    else if (chunk instanceof Uint8Array) {
      call.bytesOut += chunk.length;
      last = chunk;
    }
  };
  const w = res as unknown as Patchable;
  const { write, end, addTrailers } = w;
  w.write = function (this: unknown, ...args: unknown[]) {
    count(args[0]);
    return write.apply(this, args);
  };
  w.end = function (this: unknown, ...args: unknown[]) {
    ended = true;
    if (typeof args[0] !== "function") count(args[0]);
    return end.apply(this, args);
  };
  w.addTrailers = function (this: unknown, ...args: unknown[]) {
    const status = (args[0] as Record<string, unknown> | undefined)?.["grpc-status"];
    if (call.code === undefined && status !== undefined) call.code = Number(status) as Code | 0;
    return addTrailers.apply(this, args);
  };
  res.once("close", () => {
    const status = res.statusCode;
    // Closed before the answer was ended: the client went away (a reset HTTP/2 stream).
    const code = !ended
      ? (call.code ?? Code.Canceled)
      : (call.code ?? (kind.rpc ? answerCode(protocol, status, last) : httpCode(status)));
    log.end(
      call,
      code,
      req.socket,
      kind.rpc ? (known ? undefined : { path: path.slice(0, 256) }) : { status },
    );
  });
}

/** The context values connect's adapter gives a request: its access record, for callInterceptor. */
export function callContextValues(req: NodeRequest) {
  const values = createContextValues();
  const call = calls.get(req);
  if (call) values.set(CALL, call);
  return values;
}

/**
 * Records the namespace and the code of RPCs served by connect's adapter in their access record
 * (observeHttpCall). Outermost, so that it sees the code the client is answered.
 */
export function createCallInterceptor(): Interceptor {
  return (next) => async (req) => {
    const call = req.contextValues.get(CALL);
    if (!call) return next(req);
    if (req.stream) req = { ...req, message: peekNamespace(req.message, call) };
    else call.namespace = namespaceOf(req.message);
    try {
      const res = await next(req);
      if (!res.stream) {
        call.code = 0;
        return res;
      }
      return { ...res, message: settle(res.message, call, req.signal) };
    } catch (err) {
      call.code = codeOf(err, req.signal);
      throw err;
    }
  };
}

async function* peekNamespace<T>(messages: AsyncIterable<T>, call: HttpCall): AsyncIterable<T> {
  for await (const message of messages) {
    call.namespace ??= namespaceOf(message);
    yield message;
  }
}

async function* settle<T>(messages: AsyncIterable<T>, call: HttpCall, signal: AbortSignal): AsyncIterable<T> {
  try {
    yield* messages;
    call.code = 0;
  } catch (err) {
    call.code = codeOf(err, signal);
    throw err;
  } finally {
    // Stopped early: the client went away (or its deadline passed).
    call.code ??= cancellation(signal)?.code ?? Code.Canceled;
  }
}

function codeOf(err: unknown, signal: AbortSignal): Code {
  const code = (err as Partial<ConnectError> | undefined)?.code;
  if (typeof code === "number") return code;
  return cancellation(signal)?.code ?? Code.Unknown;
}

function protocolOf(contentType: string): string {
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** The code of an answer no interceptor saw: gRPC-Web's trailer frame, or Connect's HTTP status. */
function answerCode(protocol: string, status: number, last: Uint8Array | undefined): Code | 0 {
  if (status !== 200) return codeFromHttpStatus(status);
  if (protocol === "grpc-web" && last !== undefined && last[0] === 0x80) {
    const match = /grpc-status:\s*(\d+)/i.exec(Buffer.from(last.subarray(5)).toString("latin1"));
    if (match) return Number(match[1]) as Code | 0;
  }
  // gRPC answers carry grpc-status (addTrailers); a 200 without one is a Connect success.
  return protocol === "grpc" ? Code.Unknown : 0;
}

/** The anystore HTTP API's status as a code, so that its calls count beside the RPCs'. */
function httpCode(status: number): Code | 0 {
  if (status < 400) return 0;
  const codes: Record<number, Code> = {
    400: Code.InvalidArgument,
    401: Code.Unauthenticated,
    403: Code.PermissionDenied,
    404: Code.NotFound,
    405: Code.Unimplemented,
    409: Code.Aborted,
    412: Code.FailedPrecondition,
    413: Code.ResourceExhausted,
    421: Code.PermissionDenied,
    429: Code.ResourceExhausted,
    499: Code.Canceled,
    501: Code.Unimplemented,
    503: Code.Unavailable,
    504: Code.DeadlineExceeded,
  };
  return codes[status] ?? (status < 500 ? Code.InvalidArgument : Code.Internal);
}
