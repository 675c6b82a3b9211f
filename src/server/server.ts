import { readFile } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import type { Code, ConnectError, ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { openBackend } from "../backend/open-backend.js";
import { createWriteGate } from "../backend/write-gate.js";
import { Store } from "../store/store.js";
import { answeredWithoutHost, createHostCheck } from "./allowed-hosts.js";
import { createAnystoreHttp } from "./anystore-http/anystore-handler.js";
import { type Auth, checkAccess, EVERY_NAMESPACE, httpAccess, openAuth } from "./auth/auth.js";
import { createAuthInterceptor } from "./auth/auth-interceptor.js";
import {
  http1ServerOptions,
  http2ServerOptions,
  limitSession,
  startHttp1Timeouts,
  stopHttp1Timeouts,
} from "./connection-limits.js";
import { createCors } from "./cors.js";
import { createDecodePool, type DecodeStats } from "./decode/decode-pool.js";
import { createErrorInterceptor } from "./error-mapping.js";
import { fileRegistryOf } from "./file-registry.js";
import { createGrpcFastPath } from "./grpc-fast-path.js";
import { createHandlerContext } from "./handlers/handler-context.js";
import type { WatchEncodeStats } from "./handlers/watch-handlers.js";
import { createHangupReload } from "./hangup-reload.js";
import { createHealth } from "./health.js";
import type { HttpHandler, HttpRequest } from "./http-types.js";
import { type Models, openModels } from "./models.js";
import { createBackgroundReports } from "./observe/background-log.js";
import { type CallLog, createCallLog } from "./observe/call-log.js";
import { countBackendErrors } from "./observe/counted-backend.js";
import { callContextValues, createCallInterceptor, observeHttpCall } from "./observe/http-calls.js";
import { createLogger, type Logger } from "./observe/logger.js";
import { createMetrics } from "./observe/metrics.js";
import { listenMetrics, METRICS_PATH, type MetricsAccess, serveMetrics } from "./observe/metrics-http.js";
import { type Protocol, sniffProtocol } from "./protocol-sniffer.js";
import { readOnlyBackend } from "./read-only-backend.js";
import { createReflection } from "./reflection.js";
import { requestError, withRequestErrors } from "./request-errors.js";
import { createValidationInterceptor } from "./request-validation.js";
import { routes } from "./routes.js";
import { createServedServices } from "./served-services.js";
import { resolveServerOptions, type ServerOptions } from "./server-options.js";
import type { StoreServiceDeps } from "./store-service.js";
import { createStreamLimiter } from "./stream-limits.js";
import { createTlsListener } from "./tls-listener.js";
import { resetUnreadRequest } from "./unread-request-reset.js";

export interface RunningServer {
  /** Base URL for clients, e.g. http://127.0.0.1:50051 */
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  /** The registered models (what reflection serves besides anykv's own API). */
  readonly models: Models;
  /** What the decode pool did: decodes inline and on threads, threads stopped over budget. */
  readonly decodeStats: Readonly<DecodeStats>;
  /** WatchEvents built (each event once per way of reading it); the fan-out's own: store.watchStats. */
  readonly watchStats: Readonly<WatchEncodeStats>;
  /** The server's logger (access lines, background failures, internal errors). */
  readonly logger: Logger;
  /** Where Prometheus scrapes: GET /metrics on the main port, or on --metrics-listen's listener. */
  readonly metricsUrl: string;
  /** The tokens of --auth-file and their checks (checkAccess); undefined when auth is off. */
  readonly auth: Auth | undefined;
  /**
   * Reads the auth file and the TLS files again (what SIGHUP does); a bad file throws why and
   * leaves what was in force.
   */
  reload(): Promise<void>;
  /** The backend, for logs: "LevelDB in ./data", "redis://user:***@host:6379", … (never a password). */
  readonly backendDescription: string;
  /** Stops accepting, lets in-flight calls finish (up to shutdownTimeoutMs), closes the store. */
  close(): Promise<void>;
}

// Health reads this key straight from the backend: it answers when the backend is reachable.
const HEALTH_PROBE_KEY = "\u0000health";

/** What startServer takes besides the options: things a program embedding the server hands it. */
export interface ServerHooks {
  /** Logs here instead of a logger of the server's own (ServerOptions.logLevel). */
  readonly logger?: Logger;
  /**
   * Decides who may read /metrics on the main port (with auth on: admin tokens). Without one,
   * anyone who reaches the port may.
   */
  readonly metricsAccess?: MetricsAccess;
}

/** Starts anykv: its store, models and services, served on one port by serve(). */
export async function startServer(
  options: Partial<ServerOptions> & ServerHooks = {},
): Promise<RunningServer> {
  const o = resolveServerOptions(options);
  // Read --models files first: one that cannot be read stops start-up before the backend opens.
  const descriptorSets = await Promise.all(
    o.models.map(async (file) => ({ name: file, bytes: await readFile(file) })),
  );
  // A bad auth file stops start-up before the backend opens, as a bad --models file does.
  const auth = o.authFile ? await openAuth(o.authFile) : undefined;
  const logger = options.logger ?? createLogger({ level: o.logLevel });
  const metrics = createMetrics();
  const onInternal = (err: unknown) => logger.error({ err }, "internal error");
  const { backend: engine, description: backendDescription } = await openBackend(o.backend, {
    data: o.data,
    sync: o.sync,
    cacheBytes: o.cacheBytes,
  });
  const counted = countBackendErrors(engine, (operation) => metrics.backendError(operation));
  // --readonly: every write is refused where they all meet (read-only-backend.ts). The gate
  // lets Restore have the backend to itself (write-gate.ts).
  const writeGate = createWriteGate(o.readOnly ? readOnlyBackend(counted) : counted);
  const { backend } = writeGate;
  const store = new Store(backend, {
    defaultTtlMs: o.defaultTtlMs,
    storeNoneValues: o.storeNoneValues,
    maxKeyBytes: o.maxKeyBytes,
    watchRetentionEvents: o.watchRetention,
    watchRetentionMs: o.watchRetentionMs,
    watchProgressMs: o.watchProgressMs,
    watchRetentionBytes: o.watchRetentionBytes,
    watchBufferBytes: o.maxStreamBufferBytes,
    reports: createBackgroundReports(logger, metrics),
    // A read-only server writes nothing, expiries included (expired keys are invisible anyway).
    sweepIntervalMs: o.readOnly ? 0 : o.sweepIntervalMs,
    chunkBytes: o.chunkBytes,
  });
  const models = await openModels(backend, { descriptorSets }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  // Health and reflection report what the router serves; see served-services.ts.
  let draining = false;
  const served = createServedServices();
  const health = createHealth({
    serving: async () => {
      if (draining) return false;
      await backend.get(HEALTH_PROBE_KEY); // throws UNAVAILABLE when the backend cannot be reached
      return true;
    },
    services: served.names,
  });
  // Large stored values are decoded on worker threads, within a time budget (decode/decode-pool.ts).
  const decoder = createDecodePool({
    threads: o.decodeThreads,
    inlineBytes: o.decodeInlineBytes,
    budgetMs: o.maxDecodeMs,
    maxQueue: o.maxDecodeQueue,
  });
  const watchStats: WatchEncodeStats = { encodes: 0 };
  // One value pipeline for gRPC/Connect and the anystore HTTP API: the same checks on every way in.
  const deps: StoreServiceDeps = {
    store,
    defaultMode: o.defaultMode,
    raiseOnNonexist: o.raiseOnNonexist,
    dataLimits: { maxDepth: o.maxDepth, maxIntDigits: o.maxIntDigits },
    decodeLimits: {
      maxExpansion: o.maxDecodeExpansion,
      maxBytes: o.maxDecodeBytes,
      maxItems: o.maxDecodeNodes,
      maxIntDigits: o.maxIntDigits,
    },
    maxBatchSize: o.maxBatchSize,
    models,
    defaultModel: o.defaultModel,
    allowCode: o.allowCode,
    maxGetBytes: o.maxMessageBytes - 64 * 1024,
    readOnly: o.readOnly,
    decoder,
    watchStats,
    exclusiveWrites: writeGate.exclusive,
  };
  metrics.gauge("anykv_watchers", "Watch streams receiving events", () => store.watchStats.watchers);
  // With auth on, /metrics on the main port needs admin on every namespace.
  const metricsAccess =
    options.metricsAccess ??
    (auth && httpAccess(auth, { access: "admin", namespace: EVERY_NAMESPACE, action: "read metrics" }));
  const metricsHttp = serveMetrics(metrics, metricsAccess, logger);
  const separate = o.metricsListen
    ? await listenMetrics(o.metricsListen, metricsHttp).catch(async (err: unknown) => {
        await decoder.close();
        await store.close();
        throw err;
      })
    : undefined;
  const listener = await serve({
    options: o,
    // Unary requests that do not parse get INVALID_ARGUMENT, not connect-es's INTERNAL.
    routes: withRequestErrors(
      served.collect(
        routes(deps),
        health.routes,
        // Reflection serves the services, the error details they send (so grpcurl prints an
        // ErrorInfo's fields) and every registered model type, so grpcurl can describe models
        // and print a Get with a model as a typed message.
        createReflection(() =>
          fileRegistryOf(...served.registry().files, file_google_rpc_error_details, ...models.files()),
        ),
      ),
    ),
    requestError,
    // Errors outermost, so that they map what the request validation and the limits throw too.
    interceptors: [
      createErrorInterceptor(onInternal),
      // Tokens before anything reads the request: auth/auth-interceptor.ts.
      ...(auth ? [createAuthInterceptor(auth)] : []),
      createValidationInterceptor(),
      createStreamLimiter(o),
    ],
    // In front of the RPC routes: the anystore HTTP API by path prefix.
    http: o.anystorePrefix
      ? (baseUrl) =>
          createAnystoreHttp(createHandlerContext(deps), {
            prefix: o.anystorePrefix,
            maxBodyBytes: o.maxMessageBytes,
            baseUrl,
            onInternal,
            authorize: auth && ((req, need) => checkAccess(auth, req.headers.authorization, need)),
          })
      : undefined,
    drain: () => {
      // Health answers NOT_SERVING from now on; open Watch streams hear it and end.
      draining = true;
      health.close();
      // Watch streams never end by themselves: end them (UNAVAILABLE) so that clients resume elsewhere.
      store.stopWatches();
    },
    calls: createCallLog(logger, metrics),
    metrics: separate ? undefined : metricsHttp,
  }).catch(async (err: unknown) => {
    await separate?.close();
    await decoder.close();
    await store.close();
    throw err;
  });
  const reload = async () => {
    const results = await Promise.allSettled([auth?.reload(), listener.reloadTls?.()]);
    const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
    if (failed.length > 0) throw new Error(failed.join("; "));
  };
  const hangup = createHangupReload(o, reload, logger);
  let closing: Promise<void> | undefined;
  return {
    url: listener.url,
    port: listener.port,
    store,
    models,
    decodeStats: decoder.stats,
    watchStats,
    logger,
    metricsUrl: separate?.url ?? `${listener.url}${METRICS_PATH}`,
    auth,
    reload,
    backendDescription,
    close() {
      hangup.stop();
      closing ??= listener.close().then(async () => {
        await separate?.close();
        await decoder.close();
        await store.close();
      });
      return closing;
    },
  };
}

/** What serve() mounts on its port. */
export interface ServeSpec {
  /** Host, port, limits and timeouts (resolveServerOptions). */
  readonly options: ServerOptions;
  /** Every RPC service, registered on connect's router (and on the gRPC fast path). */
  readonly routes: (router: ConnectRouter) => void;
  /** The router's interceptors, outermost first. */
  readonly interceptors: readonly Interceptor[];
  /**
   * A plain HTTP API tried before the routes by path (the anystore API), if any; made with
   * the URL the server names itself by for a request (x-anystore-store).
   */
  readonly http?: ((baseUrl: (req: HttpRequest) => string) => PlainHttp) | undefined;
  /**
   * The code of errors about the request itself (does not parse, no message, two), for the
   * gRPC fast path as withRequestErrors gives them to connect's handlers; connect's otherwise.
   */
  readonly requestError?: (code: Code, message: string) => ConnectError | undefined;
  /** Types that JSON may name in google.protobuf.Any, besides the services' own. */
  readonly registry?: Registry;
  /** Told when close() starts, before connections are drained. */
  readonly drain?: () => void;
  /** Where every call is reported (access log, metrics); none when undefined. */
  readonly calls?: CallLog | undefined;
  /** Answers GET /metrics on this port; undefined leaves /metrics to the routes (a 404). */
  readonly metrics?: ((req: NodeRequest, res: NodeResponse) => void) | undefined;
}

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** An HTTP API that serve() mounts beside the RPC routes. */
export interface PlainHttp {
  matches(url: string): boolean;
  handle: HttpHandler;
}

/** A port serving a ServeSpec. */
export interface Listening {
  readonly url: string;
  readonly port: number;
  /** Reads the TLS certificate, key and client CA again for new connections; undefined without TLS. */
  readonly reloadTls: (() => Promise<void>) | undefined;
  /** Stops accepting, lets in-flight calls finish (up to shutdownTimeoutMs), then closes every connection. */
  close(): Promise<void>;
}

/**
 * Serves routes on one port for gRPC (h2c), gRPC-Web and Connect over both
 * HTTP/2 and HTTP/1.1: connect-node's adapter for every protocol, and the
 * gRPC fast path (grpc-fast-path.ts) for gRPC unary calls in protobuf. Node's
 * cleartext HTTP/2 server refuses HTTP/1.1, so a plain TCP listener reads the
 * first bytes and hands the socket to the HTTP/2 or the HTTP/1.1 server.
 * The Connect conformance suite runs against this function (test/conformance).
 */
export async function serve(spec: ServeSpec): Promise<Listening> {
  const o = spec.options;
  const adapterOptions = {
    interceptors: [...spec.interceptors],
    readMaxBytes: o.maxMessageBytes,
    // A Data level is two messages deep (Data, DataList). Parse a margin past maxDepth so
    // that too-deep values reach the handlers and get RESOURCE_EXHAUSTED from anykv's own
    // check; only far deeper ones stop at protobuf-es's parser (RESOURCE_EXHAUSTED, request-errors.ts).
    binaryOptions: { recursionLimit: o.maxDepth * 2 + 100 },
  };
  const { calls } = spec;
  const fast = createGrpcFastPath({ ...adapterOptions, requestError: spec.requestError, log: calls });
  // The served methods by path, and whether each streams (its calls count as open streams).
  const methods = new Map<string, boolean>();
  const handler = connectNodeAdapter({
    ...adapterOptions,
    // The fast path reports its calls itself; connect's are reported by observeHttpCall, with the
    // namespace and code the call interceptor records (outermost: the code the client gets).
    ...(calls && {
      interceptors: [createCallInterceptor(), ...spec.interceptors],
      contextValues: callContextValues,
    }),
    routes: fast.routes((router) => {
      spec.routes(router);
      for (const h of router.handlers) methods.set(h.requestPath, h.method.methodKind !== "unary");
    }),
    // Invalid UTF-8 in a JSON request is INVALID_ARGUMENT, not silently replaced by U+FFFD
    // (connect-es reads `textDecoder` from its JSON options, which protobuf-es's type omits).
    jsonOptions: {
      ...strictJsonOptions(o.maxDepth * 2 + 100),
      ...(spec.registry && { registry: spec.registry }),
    },
  });

  // In front of the Connect adapter: the Host check (--allowed-hosts, when on), CORS preflights,
  // and the plain HTTP API by path prefix.
  const hosts = createHostCheck(o.allowedHosts);
  const cors = createCors(o.corsOrigins);
  let url = "";
  // x-anystore-store: a checked Host, or the server's own address; never an arbitrary Host.
  const plain = spec.http?.((req) => (hosts ? `${o.tlsCert ? "https" : "http"}://${hosts.host(req)}` : url));
  const front = (req: NodeRequest, res: NodeResponse) => {
    const path = (req.url ?? "/").split("?", 1)[0] as string;
    const isPlain = plain?.matches(path) ?? false;
    const isMetrics = spec.metrics !== undefined && path === METRICS_PATH;
    if (hosts?.(req, res, isPlain || isMetrics ? "http" : "rpc") === "refused") return;
    if (cors?.(req, res) === "preflight-answered") return;
    if (isMetrics) return spec.metrics?.(req, res);
    if (calls) {
      const kind = isPlain
        ? { rpc: false as const, method: `${httpMethod(req.method)} ${o.anystorePrefix}`, namespace: "" }
        : { rpc: true as const, streaming: methods.get(path) };
      observeHttpCall(calls, req, res, kind);
    }
    if (isPlain) void plain?.handle(req, res);
    else if (!answeredWithoutHost(req, res)) handler(req, res);
  };
  // Connection limits and timeouts: connection-limits.ts.
  const h2 = http2.createServer(http2ServerOptions(o), front);
  // Calls from hosts the Host check refuses go the compat way, to be refused in front().
  fast.attach(h2, hosts && ((headers) => hosts.allows(headers)));
  h2.on("stream", resetUnreadRequest); // requests answered before their end: unread-request-reset.ts
  const h1 = http.createServer(http1ServerOptions(o), front);
  startHttp1Timeouts(h1);
  const sessions = new Set<http2.Http2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    limitSession(session, o);
    session.once("close", () => sessions.delete(session));
  });

  const route = (socket: net.Socket, protocol: Protocol) => {
    if (protocol === "h2") {
      // The HTTP/2 session reads what is buffered on the socket first, then takes over its handle.
      h2.emit("connection", socket);
    } else {
      h1.emit("connection", socket);
      socket.resume();
    }
  };
  // TLS (tls-listener.ts): ALPN names the protocol; clients without ALPN are sniffed as in cleartext.
  const secure = o.tlsCert
    ? await createTlsListener(o, o.headersTimeoutMs, (socket, protocol) => {
        if (protocol) route(socket, protocol);
        else
          sniffProtocol(socket, o.headersTimeoutMs, (sniffed) =>
            route(asNegotiated(socket, sniffed), sniffed),
          );
      })
    : undefined;
  const tcp =
    secure?.server ??
    net.createServer((socket) => {
      sniffProtocol(socket, o.headersTimeoutMs, (protocol) => route(socket, protocol));
      socket.on("error", () => socket.destroy());
    });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(o.port, o.host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const address = tcp.address() as net.AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  url = `${secure ? "https" : "http"}://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    reloadTls: secure?.reload,
    close() {
      closing ??= (async () => {
        spec.drain?.();
        const stopped = new Promise<void>((resolve) => tcp.close(() => resolve()));
        // GOAWAY: sessions take no new streams, and close once their streams finish.
        for (const session of sessions) session.close();
        h1.closeIdleConnections();
        const drained = Promise.all([
          stopped,
          ...[...sessions].map(
            (s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", resolve))),
          ),
        ]);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, o.shutdownTimeoutMs);
        });
        await Promise.race([drained, timeout]);
        clearTimeout(timer);
        for (const session of sessions) session.destroy();
        h1.closeAllConnections();
        stopHttp1Timeouts(h1);
      })();
      return closing;
    },
  };
}

/**
 * A TLS socket without ALPN whose first bytes are HTTP/2's preface: Node's HTTP/2 server hands
 * TLS sockets that did not negotiate h2 to HTTP/1.1, so it is told what the bytes showed.
 */
function asNegotiated(socket: net.Socket, protocol: Protocol): net.Socket {
  if (protocol === "h2") (socket as net.Socket & { alpnProtocol: string }).alpnProtocol = "h2";
  return socket;
}

function strictJsonOptions(recursionLimit: number) {
  const options = {
    recursionLimit,
    textDecoder: new TextDecoder("utf-8", { fatal: true }),
    // Item and event errors are google.rpc.Status, whose details are Anys of these types: JSON
    // writes an Any's fields, so it must know them.
    registry: createRegistry(file_google_rpc_error_details),
  };
  return options;
}

/** An HTTP method as logs and metrics name it: one of the anystore API's, or OTHER (bounded labels). */
function httpMethod(method: string | undefined): string {
  return method && /^(GET|HEAD|PUT|DELETE|PATCH|QUERY|POST|OPTIONS)$/.test(method) ? method : "OTHER";
}
