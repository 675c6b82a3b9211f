import type { Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { BinaryReadOptions, BinaryWriteOptions } from "@bufbuild/protobuf";
import {
  type Code,
  type ConnectError,
  type ConnectRouter,
  createServiceImplSpec,
  type Interceptor,
  type MethodImplSpec,
} from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { createNegotiation, type FastMethod, serveUnaryCall } from "./grpc-unary-call.js";
import type { CallLog } from "./observe/call-log.js";

/** What the fast path shares with connect-node's adapter: the same values, so both paths answer alike. */
export interface GrpcFastPathOptions {
  /** The router's interceptors, outermost first (connect's order). */
  readonly interceptors: readonly Interceptor[];
  /** Largest request message, before and after decompression (RESOURCE_EXHAUSTED beyond it). */
  readonly readMaxBytes: number;
  readonly binaryOptions?: Partial<BinaryReadOptions & BinaryWriteOptions>;
  /**
   * Request and response compressions, in order of preference.
   * @default [gzip, br] (connect-node's default)
   */
  readonly acceptCompression?: readonly Compression[];
  /**
   * Smallest response message that is compressed.
   * @default 1024 (connect's default)
   */
  readonly compressMinBytes?: number;
  /**
   * The error to answer for one about the request itself (does not parse, no message, two),
   * given connect's code and message; undefined keeps connect's.
   */
  readonly requestError?: ((code: Code, message: string) => ConnectError | undefined) | undefined;
  /** Where each call is reported (access log, metrics); none when undefined. */
  readonly log?: CallLog | undefined;
}

export interface GrpcFastPath {
  /**
   * Wraps a routes function: every unary method it registers on the router is
   * also served by the fast path, with the same implementation object.
   */
  routes(register: (router: ConnectRouter) => void): (router: ConnectRouter) => void;
  /**
   * Takes over the `stream` event of an HTTP/2 server created with a request
   * handler: gRPC unary calls in protobuf go to the fast path, every other
   * stream to Node's compatibility layer and so to the request handler. Streams that
   * `accept` refuses go that way too (the Host check answers them there).
   */
  attach(server: Http2Server, accept?: (headers: IncomingHttpHeaders) => boolean): void;
}

/**
 * A lean path for gRPC unary calls over HTTP/2: one Http2Stream in, one
 * message out, with no async iterables, no per-call AbortController unless the
 * handler reads its signal, and no Headers objects unless someone reads them.
 * connect-node's adapter costs about 8× grpc-js per call (bench/README.md,
 * "Request path"); everything else (streams, gRPC-Web, Connect, JSON) still
 * goes through it. The service implementations and interceptors are the
 * router's own; see grpc-unary-call.ts for the protocol.
 */
export function createGrpcFastPath(options: GrpcFastPathOptions): GrpcFastPath {
  const methods = new Map<string, FastMethod>();
  const acceptCompression = options.acceptCompression ?? [compressionGzip, compressionBrotli];
  const { binaryOptions } = options;
  const shared = {
    interceptors: options.interceptors,
    readMaxBytes: options.readMaxBytes,
    readOptions: binaryOptions && { readUnknownFields: true, ...binaryOptions },
    // Writing reads only writeUnknownFields (true by default): without it, protobuf-es's defaults.
    writeOptions: binaryOptions?.writeUnknownFields === undefined ? undefined : binaryOptions,
    negotiate: createNegotiation(acceptCompression),
    compressMinBytes: options.compressMinBytes ?? 1024,
    requestError: options.requestError ?? (() => undefined),
    log: options.log,
  };
  // Methods registered with options of their own (interceptors, limits) stay with connect alone.
  const add = (spec: MethodImplSpec, options: object | undefined) => {
    if (spec.kind !== "unary" || (options && Object.keys(options).length > 0)) return;
    const method = spec.method;
    const name = `${method.parent.typeName}/${method.name}`;
    methods.set(`/${name}`, { ...shared, method, name, impl: spec.impl });
  };
  return {
    routes: (register) => (router) => {
      const recording: ConnectRouter = {
        handlers: router.handlers,
        service(service, implementation, opts) {
          router.service(service, implementation, opts);
          const spec = createServiceImplSpec(service, implementation);
          for (const method of Object.values(spec.methods)) add(method, opts);
          return this;
        },
        rpc(method, impl, opts) {
          router.rpc(method, impl, opts);
          add({ kind: method.methodKind, method, impl } as MethodImplSpec, opts);
          return this;
        },
      };
      register(recording);
    },
    attach(server, accept) {
      // http2.createServer(options, handler) listens to `stream` with Node's compat layer.
      const compat = server.listeners("stream")[0] as StreamListener | undefined;
      if (!compat) throw new Error("attach the gRPC fast path to a server that has a request handler");
      server.removeListener("stream", compat);
      server.on(
        "stream",
        (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, raw: string[]) => {
          const method = isGrpcProto(headers) ? methods.get(headers[":path"] ?? "") : undefined;
          if (method && (!accept || accept(headers))) serveUnaryCall(method, stream, headers);
          else compat.call(server, stream, headers, flags, raw);
        },
      );
    },
  };
}

type StreamListener = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  raw: string[],
) => void;

function isGrpcProto(headers: IncomingHttpHeaders): boolean {
  if (headers[":method"] !== "POST") return false;
  const type = headers["content-type"];
  return type === "application/grpc" || type === "application/grpc+proto";
}
