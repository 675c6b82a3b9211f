import http2, {
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import {
  type BinaryReadOptions,
  type BinaryWriteOptions,
  create,
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  isMessage,
  type Message,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImpl,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import {
  type Compression,
  compressedFlag,
  compressionNegotiate,
  envelopeCompress,
  envelopeDecompress,
} from "@connectrpc/connect/protocol";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { type CallLog, type CallRecord, namespaceOf } from "./observe/call-log.js";

/** A unary method as the fast path serves it: the router's implementation and shared options. */
export interface FastMethod {
  readonly method: DescMethodUnary;
  /** "anykv.v1.StoreService/Get": the path without its slash. */
  readonly name: string;
  readonly impl: MethodImpl<DescMethodUnary<DescMessage, DescMessage>>;
  readonly interceptors: readonly Interceptor[];
  readonly readMaxBytes: number;
  /** Undefined for protobuf-es's defaults (unknown fields kept), which spares a merge per call. */
  readonly readOptions: Partial<BinaryReadOptions> | undefined;
  readonly writeOptions: Partial<BinaryWriteOptions> | undefined;
  /** The server's compressions negotiated with a request's grpc-encoding and grpc-accept-encoding. */
  readonly negotiate: (encoding: string | null, accept: string | null) => Negotiated;
  readonly compressMinBytes: number;
  readonly requestError: (code: Code, message: string) => ConnectError | undefined;
  /** Where the call is reported at its end (access log, metrics). */
  readonly log: CallLog | undefined;
}

/** What compressionNegotiate answers: the request's and the response's compression, or an error. */
export type Negotiated = ReturnType<typeof compressionNegotiate>;

const CONTENT_TYPE = "application/grpc+proto";
const ENVELOPE_HEADER_BYTES = 5;

/** The call a fast-path stream serves, until it is answered (UnaryCall.finish). */
const CALL = Symbol("anykv.unaryCall");
type CallStream = ServerHttp2Stream & { [CALL]?: UnaryCall | undefined };

// The stream's listeners, one function each for every call (`this` is the stream).
function onStreamAborted(this: CallStream): void {
  this[CALL]?.onReset(this.rstCode);
}
function onStreamData(this: CallStream, chunk: Buffer): void {
  this[CALL]?.onData(chunk);
}
function onStreamEnd(this: CallStream): void {
  void this[CALL]?.onEnd();
}

/**
 * Serves one gRPC unary call on an HTTP/2 stream, as connect's gRPC handler
 * does: grpc-timeout, grpc-encoding / grpc-accept-encoding, readMaxBytes
 * (RESOURCE_EXHAUSTED), interceptors, response headers and trailers, and
 * errors as grpc-status, grpc-message and grpc-status-details-bin trailers.
 */
export function serveUnaryCall(m: FastMethod, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const call = new UnaryCall(m, stream, headers);
  call.start();
}

class UnaryCall implements HandlerContext {
  readonly requestMethod = "POST";
  readonly protocolName = "grpc";
  private chunks: Buffer[] = [];
  private received = 0;
  /** Length of the request message, from its envelope header; -1 until read. */
  private expected = -1;
  private finished = false;
  private deadline: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private abortReason: unknown;
  private controller: AbortController | undefined;
  private header: Headers | undefined;
  private resHeader: Headers | undefined;
  private resTrailer: Headers | undefined;
  private contextValues: ContextValues | undefined;
  /** The access record, until the call is reported. */
  private record: CallRecord | undefined;
  private compression: Negotiated = NO_COMPRESSION;

  constructor(
    private readonly m: FastMethod,
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
  ) {}

  get method(): DescMethodUnary {
    return this.m.method;
  }
  get service() {
    return this.m.method.parent;
  }
  get url(): string {
    return `http://${this.headers[":authority"] ?? ""}${this.headers[":path"] ?? ""}`;
  }
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  get requestHeader(): Headers {
    this.header ??= toWebHeaders(this.headers);
    return this.header;
  }
  headerValue(name: string): string | undefined {
    if (this.header) return this.header.get(name) ?? undefined;
    return single(this.headers[name]) ?? undefined;
  }
  get responseHeader(): Headers {
    this.resHeader ??= new Headers();
    return this.resHeader;
  }
  get responseTrailer(): Headers {
    this.resTrailer ??= new Headers();
    return this.resTrailer;
  }
  get values(): ContextValues {
    this.contextValues ??= createContextValues();
    return this.contextValues;
  }
  readonly timeoutMs = (): number | undefined =>
    this.deadline === undefined ? undefined : this.deadline - Date.now();

  start(): void {
    const { stream, headers, m } = this;
    if (m.log) this.record = m.log.begin(m.name, "grpc", false);
    // The listeners are shared functions that find the call through the stream, and the stream
    // lets go of the call once it is answered (finish): a closed stream outlives the next
    // scavenge, and V8 would promote all that it still reached (bench/README, seventh pass).
    (stream as CallStream)[CALL] = this;
    stream.on("error", ignore); // a reset stream errors; its call is answered or abandoned below
    stream.on("aborted", onStreamAborted);
    const timeout = parseTimeout(single(headers["grpc-timeout"]), Number.MAX_SAFE_INTEGER);
    const compression = m.negotiate(
      single(headers["grpc-encoding"]),
      single(headers["grpc-accept-encoding"]),
    );
    this.compression = compression;
    const early = compression.error ?? timeout.error;
    if (early) {
      this.fail(early);
      return;
    }
    if (timeout.timeoutMs !== undefined) {
      this.deadline = Math.trunc(Date.now() + timeout.timeoutMs); // whole milliseconds, as connect (a Date)
      this.timer = setTimeout(() => this.expire(), timerDelay(timeout.timeoutMs));
    }
    stream.on("data", onStreamData);
    stream.on("end", onStreamEnd);
  }

  /** The client reset the stream before the answer: the handler hears it through its signal. */
  onReset(rstCode: number | undefined): void {
    const reason = cancelled(rstCode);
    this.abort(reason);
    this.report(reason.code, 0);
    this.finish();
  }

  onData(chunk: Buffer): void {
    if (this.finished) return;
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.expected < 0 && this.received >= ENVELOPE_HEADER_BYTES) {
      const head = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
      this.expected = head.readUInt32BE(1);
      if (this.expected > this.m.readMaxBytes) {
        this.fail(
          new ConnectError(
            `message size ${this.expected} is larger than configured readMaxBytes ${this.m.readMaxBytes}`,
            Code.ResourceExhausted,
          ),
        );
      }
    }
    if (this.expected >= 0 && this.received > ENVELOPE_HEADER_BYTES + this.expected) {
      this.fail(
        this.requestError(
          new ConnectError(
            "protocol error: received extra input message for unary method",
            Code.Unimplemented,
          ),
        ),
      );
    }
  }

  async onEnd(): Promise<void> {
    if (this.finished) return;
    try {
      let request: Message | Promise<Message>;
      try {
        request = this.readRequest();
        // Only a compressed request is read asynchronously: a plain one costs no extra turn.
        if (request instanceof Promise) request = await request;
      } catch (err) {
        throw this.requestError(err);
      }
      const response = await this.invoke(request);
      if (this.finished) return;
      const bytes = toBinary(this.m.method.output, response, this.m.writeOptions);
      const compression = this.compression.response;
      const envelope =
        compression && bytes.byteLength >= this.m.compressMinBytes
          ? await envelopeCompress({ flags: 0, data: bytes }, compression, this.m.compressMinBytes)
          : { flags: 0, data: bytes };
      this.succeed(frame(envelope.flags, envelope.data));
    } catch (err) {
      this.fail(err);
    }
  }

  /** The request message; a promise only when it has to be decompressed first. */
  private readRequest(): Message | Promise<Message> {
    if (this.received === 0) {
      throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
    }
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [];
    if (this.expected < 0 || body.length < ENVELOPE_HEADER_BYTES + this.expected) {
      throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    }
    const flags = body[0] as number;
    const data: Uint8Array = body.subarray(ENVELOPE_HEADER_BYTES);
    if ((flags & compressedFlag) === compressedFlag) {
      return envelopeDecompress({ flags, data }, this.compression.request, this.m.readMaxBytes).then(
        (decompressed) => this.parse(decompressed.data),
      );
    }
    return this.parse(data);
  }

  private parse(data: Uint8Array): Message {
    try {
      const message = fromBinary(this.m.method.input, data, this.m.readOptions);
      if (this.record) this.record.namespace = namespaceOf(message);
      return message;
    } catch (e) {
      throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
    }
  }

  /** connect's error about the request, with the code the server gives it (FastMethod.requestError). */
  private requestError(err: unknown): unknown {
    if (!(err instanceof ConnectError)) return err;
    return this.m.requestError(err.code, err.rawMessage) ?? err;
  }

  /**
   * Runs the interceptors around the implementation, as connect's invokeUnaryImplementation does.
   * Promise chains rather than async functions: each async frame is about half a kilobyte of
   * garbage per call, and this runs on every call.
   */
  private invoke(message: Message): Promise<Message> {
    const { m } = this;
    const request = new FastRequest(this, message);
    const output = (result: unknown) =>
      new FastResponse(
        this,
        isMessage(result, m.method.output) ? result : create(m.method.output, result as never),
      );
    let next = (req: UnaryRequest): Promise<UnaryResponse> => {
      const context = req === (request as UnaryRequest) ? this : mergeRequest(this, req);
      try {
        return Promise.resolve(m.impl(req.message, context)).then(
          output,
        ) as unknown as Promise<UnaryResponse>;
      } catch (err) {
        return Promise.reject(err);
      }
    };
    for (let i = m.interceptors.length - 1; i >= 0; i--)
      next = (m.interceptors[i] as Interceptor)(next as never) as never;
    return next(request as unknown as UnaryRequest).then((res) => {
      if (!(res instanceof FastResponse)) {
        // An interceptor answered with headers of its own: they replace the context's.
        this.resHeader = res.header;
        this.resTrailer = res.trailer;
      }
      return res.message;
    });
  }

  private succeed(body: Uint8Array): void {
    if (this.finished) return;
    this.report(0, body.length);
    if (!this.open()) return;
    const trailers: OutgoingHttpHeaders = { "grpc-status": "0" };
    if (this.resTrailer) appendNode(trailers, this.resTrailer);
    this.answer(trailers, body);
  }

  /** Answers the error's status, in trailers after the headers as connect-node's adapter does. */
  private fail(err: unknown): void {
    if (this.finished) return;
    const error =
      err instanceof ConnectError
        ? err
        : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
    this.report(error.code, 0);
    if (!this.open()) return;
    const trailers: OutgoingHttpHeaders = {};
    appendNode(trailers, setTrailerStatus(this.resTrailer ?? new Headers(), error));
    this.answer(trailers, undefined);
  }

  /**
   * Sends headers, the message if any, and trailers. A request not read to its end (refused from
   * its length prefix) is then reset with NO_ERROR, so that the client stops sending and the
   * connection's flow-control window stays open (as unread-request-reset.ts does for connect).
   */
  private answer(trailers: OutgoingHttpHeaders, body: Uint8Array | undefined): void {
    const { stream } = this;
    try {
      stream.respond(this.head(), { waitForTrailers: true });
      // First among the listeners: a reset scheduled before the trailers are submitted would
      // overtake them (unread-request-reset.ts listens too, on every stream).
      stream.prependOnceListener("wantTrailers", () => {
        stream.sendTrailers(trailers);
        if (stream.readableEnded) return;
        // A reset submitted in this send cycle would overtake the trailers (nghttp2 sends RST_STREAM first).
        setImmediate(() => {
          if (!stream.closed && !stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
        });
      });
      stream.end(body);
    } catch {
      // The stream closed under us: nobody is listening for this answer.
    }
    if (!stream.readableEnded) stream.resume(); // what is still coming is dropped
  }

  /** Ends the access record (once): the code answered and the bytes of the response message. */
  private report(code: Code | 0, bytesOut: number): void {
    const record = this.record;
    if (!record) return;
    this.record = undefined;
    record.bytesIn = this.received;
    record.bytesOut = bytesOut;
    (this.m.log as CallLog).end(record, code, this.stream.session?.socket);
  }

  /** Marks the call answered; false when it already was, or the stream is gone. */
  private open(): boolean {
    if (this.finished) return false;
    this.finish();
    if (this.timer) clearTimeout(this.timer);
    return !this.stream.destroyed && !this.stream.closed;
  }

  /** The call is over for the stream: what still comes on it is dropped, and it no longer reaches the call. */
  private finish(): void {
    this.finished = true;
    this.chunks = [];
    (this.stream as CallStream)[CALL] = undefined;
  }

  private head(): OutgoingHttpHeaders {
    const head: OutgoingHttpHeaders = { ":status": 200, "content-type": CONTENT_TYPE };
    if (this.resHeader) appendNode(head, this.resHeader);
    if (this.compression.response) head["grpc-encoding"] = this.compression.response.name;
    return head;
  }

  private expire(): void {
    this.timer = undefined;
    const error = new ConnectError("the operation timed out", Code.DeadlineExceeded);
    this.abort(error);
    this.fail(error);
  }

  /** Aborts the handler's signal (created now if the handler has not read it yet). */
  private abort(reason: ConnectError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The UnaryRequest that interceptors see; its headers and signal are made when read. */
class FastRequest {
  readonly stream = false;
  constructor(
    private readonly call: UnaryCall,
    readonly message: Message,
  ) {}
  get method() {
    return this.call.method;
  }
  get service() {
    return this.call.service;
  }
  get requestMethod() {
    return this.call.requestMethod;
  }
  get url() {
    return this.call.url;
  }
  get signal() {
    return this.call.signal;
  }
  get header() {
    return this.call.requestHeader;
  }
  /** One request header, read without building `header` (the auth check reads one on every call). */
  headerValue(name: string): string | undefined {
    return this.call.headerValue(name);
  }
  get contextValues() {
    return this.call.values;
  }
}

/** The UnaryResponse the implementation answers; its headers are the call's, made when read. */
class FastResponse {
  readonly stream = false;
  constructor(
    private readonly call: UnaryCall,
    readonly message: unknown,
  ) {}
  get method() {
    return this.call.method;
  }
  get service() {
    return this.call.service;
  }
  get header() {
    return this.call.responseHeader;
  }
  get trailer() {
    return this.call.responseTrailer;
  }
}

/** As connect's mergeRequest: an interceptor that replaced headers, signal or values passes them on. */
function mergeRequest(call: UnaryCall, req: UnaryRequest): HandlerContext {
  return {
    method: call.method,
    service: req.service,
    requestMethod: call.requestMethod,
    protocolName: call.protocolName,
    url: call.url,
    timeoutMs: call.timeoutMs,
    signal: req.signal,
    requestHeader: req.header,
    responseHeader: call.responseHeader,
    responseTrailer: call.responseTrailer,
    values: req.contextValues,
  };
}

const NO_COMPRESSION: Negotiated = { request: null, response: null };

/**
 * Negotiates compression as connect does, remembering the answer for each pair of header values:
 * a client sends the same pair on every call, and the negotiation (header parsing, a lookup per
 * name) was a few microseconds of every call. Errors are not remembered, and the memory is
 * bounded: past 64 pairs it starts over.
 */
export function createNegotiation(
  accept: readonly Compression[],
): (encoding: string | null, acceptEncoding: string | null) => Negotiated {
  const known = new Map<string, Negotiated>();
  return (encoding, acceptEncoding) => {
    const key = `${encoding ?? ""}\n${acceptEncoding ?? ""}`;
    let answer = known.get(key);
    if (answer) return answer;
    answer = compressionNegotiate(accept as Compression[], encoding, acceptEncoding, "grpc-accept-encoding");
    if (answer.error) return answer;
    if (known.size >= 64) known.clear();
    known.set(key, answer);
    return answer;
  };
}

/**
 * The delay of the timer that ends a call at its deadline. Node keeps one timer list per
 * distinct delay, and clients send their remaining time (grpc-go: microseconds), so every call
 * made its own list. Deadlines past ten seconds are armed on whole seconds instead, at most a
 * second late, so their calls share lists; `timeoutMs()` still tells the handler the exact time.
 */
function timerDelay(timeoutMs: number): number {
  return timeoutMs > 10_000 ? Math.ceil(timeoutMs / 1000) * 1000 : timeoutMs;
}

function frame(flags: number, data: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + data.length);
  out[0] = flags;
  out.writeUInt32BE(data.length, 1);
  out.set(data, ENVELOPE_HEADER_BYTES);
  return out;
}

function toWebHeaders(headers: IncomingHttpHeaders): Headers {
  const web = new Headers();
  for (const key in headers) {
    if (key.startsWith(":")) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (typeof value === "string") web.append(key, value);
    else for (const v of value) web.append(key, v);
  }
  return web;
}

function appendNode(target: OutgoingHttpHeaders, headers: Headers): void {
  headers.forEach((value, key) => {
    target[key] = value;
  });
}

function single(value: string | string[] | undefined): string | null {
  return value === undefined ? null : typeof value === "string" ? value : value.join(",");
}

/** RST_STREAM codes as connect-node reads them: CANCEL and NO_ERROR are a cancelled call. */
function cancelled(rstCode: number | undefined): ConnectError {
  return new ConnectError(`http/2 stream closed with error code ${rstCode ?? 0}`, Code.Canceled);
}

function ignore(): void {}
