import { create, createRegistry } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import { type Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  type Error as ConformanceError,
  type ConformancePayload_RequestInfo,
  ConformancePayload_RequestInfoSchema,
  ConformancePayloadSchema,
  ConformanceService,
  type Header,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  type StreamResponseDefinition,
  UnaryRequestSchema,
  type UnaryResponseDefinition,
} from "./gen/connectrpc/conformance/v1/service_pb.js";

/** Types the suite's JSON payloads carry in google.protobuf.Any. */
export const conformanceRegistry = createRegistry(
  UnaryRequestSchema,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  ClientStreamRequestSchema,
  BidiStreamRequestSchema,
  ConformancePayload_RequestInfoSchema,
);

/**
 * The ConformanceService of connectrpc.com/conformance: every call answers
 * what its request's response definition says (headers, trailers, data, an
 * error, a delay) and echoes what the server saw (headers, timeout, requests).
 */
export function conformanceRoutes(router: ConnectRouter): void {
  router.service(ConformanceService, {
    unary: (req, ctx) => answerUnary(req.responseDefinition, [anyPack(UnaryRequestSchema, req)], ctx),
    idempotentUnary: (req, ctx) =>
      answerUnary(req.responseDefinition, [anyPack(IdempotentUnaryRequestSchema, req)], ctx),
    async clientStream(requests, ctx) {
      let definition: UnaryResponseDefinition | undefined;
      const seen: Any[] = [];
      for await (const req of requests) {
        definition ??= req.responseDefinition;
        seen.push(anyPack(ClientStreamRequestSchema, req));
      }
      return answerUnary(definition, seen, ctx);
    },
    async *serverStream(req, ctx) {
      const definition = req.responseDefinition;
      yield* answerStream(definition, [anyPack(ServerStreamRequestSchema, req)], ctx);
    },
    async *bidiStream(requests, ctx) {
      let definition: StreamResponseDefinition | undefined;
      let fullDuplex = false;
      let sent = 0;
      let seen: Any[] = [];
      for await (const req of requests) {
        if (!definition) {
          definition = req.responseDefinition;
          fullDuplex = req.fullDuplex;
          setHeaders(ctx.responseHeader, definition?.responseHeaders);
          setHeaders(ctx.responseTrailer, definition?.responseTrailers);
        }
        seen.push(anyPack(BidiStreamRequestSchema, req));
        if (!fullDuplex) continue;
        // Full duplex: one response per request while there are responses left.
        if (!definition || sent >= definition.responseData.length) break;
        await sleep(definition.responseDelayMs);
        yield { payload: payload(requestInfo(ctx, seen), definition.responseData[sent]) };
        sent++;
        seen = [];
      }
      const info = requestInfo(ctx, seen);
      for (; definition && sent < definition.responseData.length; sent++) {
        await sleep(definition.responseDelayMs);
        yield { payload: payload(sent === 0 ? info : undefined, definition.responseData[sent]) };
      }
      if (definition?.error)
        throw toConnectError(definition.error, definition.responseData.length === 0 ? info : undefined);
    },
  });
}

async function answerUnary(
  definition: UnaryResponseDefinition | undefined,
  requests: Any[],
  ctx: HandlerContext,
) {
  setHeaders(ctx.responseHeader, definition?.responseHeaders);
  setHeaders(ctx.responseTrailer, definition?.responseTrailers);
  const info = requestInfo(ctx, requests);
  if (definition?.response.case === "error") throw toConnectError(definition.response.value, info);
  if (definition?.responseDelayMs) await sleep(definition.responseDelayMs);
  const data = definition?.response.case === "responseData" ? definition.response.value : undefined;
  return { payload: payload(info, data) };
}

async function* answerStream(
  definition: StreamResponseDefinition | undefined,
  requests: Any[],
  ctx: HandlerContext,
) {
  setHeaders(ctx.responseHeader, definition?.responseHeaders);
  setHeaders(ctx.responseTrailer, definition?.responseTrailers);
  let info: ConformancePayload_RequestInfo | undefined = requestInfo(ctx, requests);
  for (const data of definition?.responseData ?? []) {
    await sleep(definition?.responseDelayMs ?? 0);
    yield { payload: payload(info, data) };
    info = undefined; // only the first response echoes the request
  }
  if (definition?.error) {
    throw toConnectError(
      definition.error,
      definition.responseData.length === 0 ? requestInfo(ctx, requests) : undefined,
    );
  }
}

function payload(info: ConformancePayload_RequestInfo | undefined, data: Uint8Array | undefined) {
  return create(ConformancePayloadSchema, { ...(info && { requestInfo: info }), ...(data && { data }) });
}

function requestInfo(ctx: HandlerContext, requests: Any[]): ConformancePayload_RequestInfo {
  const timeoutMs = ctx.timeoutMs();
  const requestHeaders: { name: string; value: string[] }[] = [];
  ctx.requestHeader.forEach((value, name) => {
    requestHeaders.push({ name, value: [value] });
  });
  return create(ConformancePayload_RequestInfoSchema, {
    requestHeaders,
    requests,
    ...(timeoutMs !== undefined && { timeoutMs: BigInt(timeoutMs) }),
  });
}

function toConnectError(
  error: ConformanceError,
  info: ConformancePayload_RequestInfo | undefined,
): ConnectError {
  const err = new ConnectError(error.message ?? "", error.code as number as Code);
  // Details the definition asks for, as they came (type name and bytes), then what the server saw.
  for (const any of error.details) {
    err.details.push({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value });
  }
  if (info) err.details.push({ desc: ConformancePayload_RequestInfoSchema, value: info });
  return err;
}

function setHeaders(target: Headers, headers: readonly Header[] | undefined): void {
  for (const header of headers ?? []) for (const value of header.value) target.append(header.name, value);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
