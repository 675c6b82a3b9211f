import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { errorInfo } from "./error-info.js";

/**
 * Errors connect-es raises about a request itself, before or around anykv's handlers, with
 * the code the client's mistake deserves (README: "Errors"): a message that does not parse
 * (INTERNAL "parse binary: …" in connect-es) is INVALID_ARGUMENT, or RESOURCE_EXHAUSTED when it
 * nests too deeply; too many or too few request messages (UNIMPLEMENTED in connect-es) are
 * INVALID_ARGUMENT. Short messages, no parser internals. Undefined for every other error.
 */
export function requestError(code: Code, message: string): ConnectError | undefined {
  if (code === Code.Internal && message.startsWith("parse binary: ")) {
    const why = message.slice("parse binary: ".length);
    if (/recursion depth/.test(why))
      return refusal("the request message nests too deeply to parse", "LIMIT_EXCEEDED");
    if (/utf-?8|encoded data/i.test(why))
      return refusal("malformed request: a string field is not valid UTF-8", "INVALID_ARGUMENT");
    return refusal("malformed request: not a valid protobuf message", "INVALID_ARGUMENT");
  }
  if (code === Code.Unimplemented && message.startsWith("protocol error: received extra input message"))
    return refusal("the call takes exactly one request message, and got more", "INVALID_ARGUMENT");
  if (code === Code.Unimplemented && message.startsWith("protocol error: missing input message"))
    return refusal("the call takes exactly one request message, and got none", "INVALID_ARGUMENT");
  return undefined;
}

/** A request error with its code and the ErrorInfo every anykv error carries. */
function refusal(message: string, reason: "INVALID_ARGUMENT" | "LIMIT_EXCEEDED"): ConnectError {
  const code = reason === "LIMIT_EXCEEDED" ? Code.ResourceExhausted : Code.InvalidArgument;
  return new ConnectError(message, code, undefined, [errorInfo(reason)]);
}

/** Whether connect-es raised `err` about the request itself (see requestError). */
export function isRequestError(err: ConnectError): boolean {
  return requestError(err.code, err.rawMessage) !== undefined;
}

/**
 * Wraps the router's unary handlers so that request errors raised before any interceptor runs
 * (connect-es parses a unary request before calling interceptors) are answered with the codes
 * of requestError in the request's own protocol. Streaming calls parse inside the interceptors,
 * where the error interceptor applies requestError. Costs nothing on answers that are not errors.
 */
export function withRequestErrors(routes: (router: ConnectRouter) => void): (router: ConnectRouter) => void {
  return (router) => {
    routes(router);
    const handlers = router.handlers;
    for (let i = 0; i < handlers.length; i++) {
      const handler = handlers[i] as UniversalHandler;
      if (handler.method.methodKind !== "unary") continue;
      const wrapped = async (req: Parameters<UniversalHandler>[0]) => {
        const res = await handler(req);
        const type = req.header.get("content-type") ?? "";
        if (type.startsWith("application/grpc-web")) return fixGrpcWeb(res);
        if (type.startsWith("application/grpc")) return fixGrpc(res);
        return fixConnect(res);
      };
      handlers[i] = Object.assign(wrapped, {
        service: handler.service,
        method: handler.method,
        requestPath: handler.requestPath,
        supportedContentType: handler.supportedContentType,
        protocolNames: handler.protocolNames,
        allowedMethods: handler.allowedMethods,
      });
    }
  };
}

/** gRPC: the status is in the trailer, set by the time a unary error's answer resolves. */
function fixGrpc(res: UniversalServerResponse): UniversalServerResponse {
  const status = res.trailer?.get("grpc-status");
  if (res.trailer && (status === "13" || status === "12")) retrail(res.trailer);
  return res;
}

function retrail(trailer: Headers): boolean {
  const error = requestError(
    Number(trailer.get("grpc-status")),
    decodeURIComponent(trailer.get("grpc-message") ?? ""),
  );
  if (error) setTrailerStatus(trailer, error);
  return error !== undefined;
}

/** gRPC-Web: the trailer is the body's last frame; an error answer has no other frame. */
async function fixGrpcWeb(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const body = res.body;
  if (body === undefined || body instanceof Uint8Array) return res;
  const it = body[Symbol.asyncIterator]();
  const first = await it.next();
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => it };
  const chunk = first.done ? undefined : first.value;
  if (chunk !== undefined && chunk[0] === trailerFlag && chunk.length >= 5) {
    const length = new DataView(chunk.buffer, chunk.byteOffset).getUint32(1);
    const trailer = trailerParse(chunk.subarray(5, 5 + length));
    if (retrail(trailer)) {
      const data = trailerSerialize(trailer);
      const frame = new Uint8Array(5 + data.length);
      frame[0] = trailerFlag;
      new DataView(frame.buffer).setUint32(1, data.length);
      frame.set(data, 5);
      return { ...res, body: prepend(frame, rest) };
    }
  }
  return { ...res, body: chunk === undefined ? rest : prepend(chunk, rest) };
}

async function* prepend(first: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield first;
  yield* rest;
}

/** Connect unary: an error is an HTTP status with Connect's error JSON as the body. */
async function fixConnect(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.status !== codeToHttpStatus(Code.Internal) || res.body === undefined) return res;
  const chunks: Uint8Array[] = [];
  if (res.body instanceof Uint8Array) chunks.push(res.body);
  else for await (const chunk of res.body) chunks.push(chunk);
  const bytes = new Uint8Array(Buffer.concat(chunks));
  let error: ConnectError | undefined;
  try {
    const sent = errorFromJsonBytes(bytes, undefined, new ConnectError("", Code.Internal));
    error = requestError(sent.code, sent.rawMessage);
  } catch {
    error = undefined;
  }
  if (!error) return { ...res, body: prepend(bytes, emptyIterable()) };
  const fixed = errorToJsonBytes(error, {});
  const header = new Headers(res.header);
  header.set("content-length", String(fixed.length));
  return { ...res, status: codeToHttpStatus(error.code), header, body: prepend(fixed, emptyIterable()) };
}

async function* emptyIterable(): AsyncIterable<Uint8Array> {}

/**
 * The error of a call whose signal was aborted, whatever the handler threw on the way out:
 * DEADLINE_EXCEEDED when its deadline passed, CANCELLED when the client went away. Undefined
 * while the call is live. Neither is a bug, so neither is logged.
 */
export function cancellation(signal: AbortSignal): ConnectError | undefined {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) return reason;
  return new ConnectError("the call was cancelled", Code.Canceled);
}
