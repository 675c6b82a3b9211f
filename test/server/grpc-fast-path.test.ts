import http2 from "node:http2";
import { gunzipSync, gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetRequestSchema,
  GetResponseSchema,
  type PutRequest,
  StoreService,
} from "../../gen/anykv/v1/store_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AnykvError } from "../../src/errors.js";
import { createErrorInterceptor } from "../../src/server/error-mapping.js";
import { createNegotiation } from "../../src/server/grpc-unary-call.js";
import { type Listening, serve } from "../../src/server/server.js";
import { resolveServerOptions } from "../../src/server/server-options.js";

// What the handlers saw, for the tests to inspect.
const seen: { signal: AbortSignal | undefined; header: string | null; intercepted: string[] } = {
  signal: undefined,
  header: null,
  intercepted: [],
};
let release: (() => void) | undefined;
/** The signal of the last call that waited (read through a function: tests reset it). */
const lastSignal = (): AbortSignal | undefined => seen.signal;

const recordingInterceptor: Interceptor = (next) => async (req) => {
  seen.intercepted.push(req.method.name);
  return next(req);
};

let server: Listening;
beforeAll(async () => {
  server = await serve({
    options: resolveServerOptions({ host: "127.0.0.1", port: 0, maxMessageBytes: 64 * 1024 }),
    routes: (router) =>
      router.service(StoreService, {
        async get(req, ctx: HandlerContext) {
          seen.header = ctx.requestHeader.get("x-probe");
          ctx.responseHeader.set("x-answer", "header");
          ctx.responseTrailer.set("x-answer-trailer", "trailer");
          if (req.key === "wait") {
            seen.signal = ctx.signal;
            await new Promise<void>((resolve) => {
              release = resolve;
              ctx.signal.addEventListener("abort", () => resolve());
            });
          }
          if (req.key === "invalid") {
            throw new AnykvError("INVALID_KEY", "key must not be empty", {
              details: [{ field: "key", description: "must not be empty" }],
            });
          }
          return {
            found: true,
            value: { kind: { case: "text", value: req.key.repeat(req.key === "big" ? 4096 : 1) } },
          };
        },
        put: (req: PutRequest) => ({ stored: req.key !== "" }),
      }),
    interceptors: [createErrorInterceptor(() => undefined), recordingInterceptor],
  });
});
afterAll(() => server.close());

function client(options: { sendCompression?: boolean } = {}) {
  return createClient(
    StoreService,
    createGrpcTransport({
      baseUrl: server.url,
      ...(options.sendCompression && { sendCompression: compressionGzip, compressMinBytes: 0 }),
    }),
  );
}

/** One raw HTTP/2 gRPC call: what the wire carried back, frame by frame. */
function rawCall(
  path: string,
  body: Uint8Array,
  headers: http2.OutgoingHttpHeaders = {},
  afterSend?: (stream: http2.ClientHttp2Stream) => void,
): Promise<{
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  data: Buffer;
  rstCode?: number;
}> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(server.url);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (responseHeaders = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => undefined);
    stream.on("close", () => {
      session.close();
      resolve({ headers: responseHeaders, trailers, data: Buffer.concat(chunks), rstCode: stream.rstCode });
    });
    stream.end(body);
    afterSend?.(stream);
  });
}

function envelope(message: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

const GET = "/anykv.v1.StoreService/Get";

describe("the gRPC fast path", () => {
  it("serves unary gRPC calls with the router's implementation, interceptors, headers and trailers", async () => {
    seen.intercepted = [];
    const res = await rawCall(
      GET,
      envelope(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "k" }))),
      {
        "x-probe": "probe",
      },
    );
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["content-type"]).toBe("application/grpc+proto");
    expect(res.headers["x-answer"]).toBe("header");
    expect(res.trailers["grpc-status"]).toBe("0");
    expect(res.trailers["x-answer-trailer"]).toBe("trailer");
    const answer = fromBinary(GetResponseSchema, res.data.subarray(5));
    expect(answer.value?.kind).toEqual({ case: "text", value: "k" });
    expect(seen.header).toBe("probe");
    expect(seen.intercepted).toEqual(["Get"]);
  });

  it("maps domain errors at the same boundary: code, message and google.rpc.BadRequest", async () => {
    const res = await rawCall(
      GET,
      envelope(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "invalid" }))),
    );
    expect(res.trailers["grpc-status"]).toBe(String(Code.InvalidArgument));
    expect(decodeURIComponent(String(res.trailers["grpc-message"]))).toBe("key must not be empty");
    expect(res.headers["x-answer"]).toBe("header");
    expect(res.trailers["x-answer-trailer"]).toBe("trailer");

    const err = await client()
      .get({ key: "invalid" })
      .then(() => undefined, ConnectError.from);
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.findDetails(BadRequestSchema)[0]?.fieldViolations).toEqual([
      expect.objectContaining({ field: "key", description: "must not be empty" }),
    ]);
  });

  it("reads gzip requests and answers gzip to clients that accept it", async () => {
    const answer = await client({ sendCompression: true }).get({ key: "big" });
    expect(answer.value?.kind.value).toBe("big".repeat(4096));

    const request = toBinary(GetRequestSchema, create(GetRequestSchema, { key: "big" }));
    const res = await rawCall(GET, envelope(gzipSync(request), 1), {
      "grpc-encoding": "gzip",
      "grpc-accept-encoding": "gzip",
    });
    expect(res.trailers["grpc-status"]).toBe("0");
    expect(res.headers["grpc-encoding"]).toBe("gzip");
    expect(res.data[0]).toBe(1);
    const message = fromBinary(GetResponseSchema, gunzipSync(res.data.subarray(5)));
    expect(message.value?.kind.value).toBe("big".repeat(4096));
  });

  it("answers UNIMPLEMENTED for an unknown request compression", async () => {
    const res = await rawCall(GET, envelope(new Uint8Array(0), 1), { "grpc-encoding": "zstd" });
    expect(res.trailers["grpc-status"]).toBe(String(Code.Unimplemented));
    expect(res.trailers["grpc-accept-encoding"]).toBe("gzip,br");
  });

  it("answers RESOURCE_EXHAUSTED for a message over maxMessageBytes, from its envelope header alone", async () => {
    const oversized = Buffer.alloc(5);
    oversized.writeUInt32BE(1024 * 1024, 1);
    const res = await rawCall(GET, oversized);
    expect(res.trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
    // The connection still serves calls afterwards.
    expect((await client().get({ key: "after" })).found).toBe(true);
    // And the gzip bomb: small on the wire, over the limit once inflated.
    const inflated = toBinary(GetRequestSchema, create(GetRequestSchema, { key: "x".repeat(128 * 1024) }));
    const bomb = await rawCall(GET, envelope(gzipSync(inflated), 1), { "grpc-encoding": "gzip" });
    expect(bomb.trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
  });

  it("answers DEADLINE_EXCEEDED at the grpc-timeout and aborts the handler's signal", async () => {
    seen.signal = undefined;
    const started = Date.now();
    const res = await rawCall(
      GET,
      envelope(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "wait" }))),
      {
        "grpc-timeout": "200m",
      },
    );
    expect(res.trailers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(lastSignal()?.aborted).toBe(true);
    expect(ConnectError.from(lastSignal()?.reason).code).toBe(Code.DeadlineExceeded);
  });

  it("aborts the handler's signal when the client resets the stream (RST_STREAM CANCEL)", async () => {
    seen.signal = undefined;
    const res = await rawCall(
      GET,
      envelope(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "wait" }))),
      {},
      (stream) => {
        const cancel = () =>
          seen.signal ? stream.close(http2.constants.NGHTTP2_CANCEL) : setTimeout(cancel, 5);
        cancel();
      },
    );
    expect(res.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    await expect.poll(() => lastSignal()?.aborted).toBe(true);
    expect(ConnectError.from(lastSignal()?.reason).code).toBe(Code.Canceled);
    release?.();
  });

  it("answers protocol errors as connect does: no message, or two", async () => {
    const none = await rawCall(GET, new Uint8Array(0));
    expect(none.trailers["grpc-status"]).toBe(String(Code.Unimplemented));
    const message = toBinary(GetRequestSchema, create(GetRequestSchema, { key: "k" }));
    const two = await rawCall(GET, Buffer.concat([envelope(message), envelope(message)]));
    expect(two.trailers["grpc-status"]).toBe(String(Code.Unimplemented));
    const cut = await rawCall(GET, envelope(message).subarray(0, 6));
    expect(cut.trailers["grpc-status"]).toBe(String(Code.InvalidArgument));
  });

  it("leaves gRPC in JSON, gRPC-Web and Connect to connect-node's adapter", async () => {
    const json = await rawCall(GET, envelope(Buffer.from('{"key":"json"}')), {
      "content-type": "application/grpc+json",
    });
    expect(json.trailers["grpc-status"]).toBe("0");
    expect(JSON.parse(json.data.subarray(5).toString()).value).toEqual({ text: "json" });
    const connect = await fetch(`${server.url}${GET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"key":"connect"}',
    });
    expect(((await connect.json()) as { value: unknown }).value).toEqual({ text: "connect" });
  });
});

describe("createNegotiation", () => {
  it("answers as compressionNegotiate, the same answer for the same headers, and errors each time", () => {
    const negotiate = createNegotiation([compressionGzip]);
    const first = negotiate(null, "gzip");
    expect(first.response?.name).toBe("gzip");
    expect(first.request).toBeNull();
    expect(negotiate(null, "gzip")).toBe(first);
    expect(negotiate("gzip", "gzip").request?.name).toBe("gzip");
    expect(negotiate(null, null)).toMatchObject({ request: null, response: null });
    const refused = negotiate("zstd", null);
    expect(refused.error?.code).toBe(Code.Unimplemented);
    expect(negotiate("zstd", null)).not.toBe(refused); // not kept: a new error for every call
  });
});
