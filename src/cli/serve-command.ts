import { parseArgs } from "node:util";
import type { ModeName } from "../codec/typed-value.js";
import { startServer } from "../server/server.js";
import { parseDuration, resolveServerOptions, type ServerOptions } from "../server/server-options.js";
import { isServeWorker, reportListening, servePrimary } from "./serve-workers.js";

const HELP = `anykv serve — run the anykv server (gRPC, gRPC-Web and Connect on one port)

  --host HOST            address to listen on           env ANYKV_HOST         default 127.0.0.1
  --port PORT            port (0 picks a free one)      env ANYKV_PORT         default 50051
  --data DIR             LevelDB data directory         env ANYKV_DATA         default ./data
  --backend URL          leveldb:PATH, memory:, redis://…, rediss://…, postgres://…
                                                        env ANYKV_BACKEND      default leveldb
  --workers N            processes serving one port     env ANYKV_WORKERS      default 1
                         (a shared backend only)
  --sync WHEN            always: fsync each commit      env ANYKV_SYNC         default always
                         none: leave it to the OS (an
                         OS crash may lose acked writes)
  --default-ttl DUR      TTL of keys put without one    env ANYKV_DEFAULT_TTL  default none (30s, 5m, 2h, 1d)
  --default-mode MODE    auto, raw, json or pickle      env ANYKV_DEFAULT_MODE default auto
  --no-store-none        skip puts of null values       env ANYKV_STORE_NONE_VALUES=false
  --max-key-bytes N      longest key                    env ANYKV_MAX_KEY_BYTES default 1024
  --max-message-bytes N  largest request                env ANYKV_MAX_MESSAGE_BYTES default 4194304
  --cors-origin ORIGIN   let browsers at ORIGIN call    env ANYKV_CORS_ORIGINS (comma-separated)
                         (repeatable; * for any)        default none (CORS off)
  --allowed-hosts HOSTS  Host header values to answer  env ANYKV_ALLOWED_HOSTS
                         (comma-separated, repeatable;  default none (any Host)
                         DNS rebinding defense)
  --anystore-prefix PATH anystore HTTP API path         env ANYKV_ANYSTORE_PREFIX default /anystore
                         ("" turns it off)
  --max-batch-size N     most items of a *Many or Batch env ANYKV_MAX_BATCH_SIZE default 1000
  --models FILE.binpb    register the message types of  env ANYKV_MODELS (comma-separated)
                         a descriptor set (repeatable)  default none
  --default-model NAME   model of puts and gets that    env ANYKV_DEFAULT_MODEL default none
                         name none
  --allow-code           store and serve functions      env ANYKV_ALLOW_CODE=true
                         (code values; off by default:  default off
                         PERMISSION_DENIED)
  --watch-retention N    change events kept for Watch   env ANYKV_WATCH_RETENTION default 10000
                         clients that resume
  --watch-retention-age DUR  oldest event kept          env ANYKV_WATCH_RETENTION_AGE default 1h
  --watch-progress-interval DUR  progress notification  env ANYKV_WATCH_PROGRESS_INTERVAL default 10s
                         to a quiet Watch (0: none)
  --max-decode-expansion N  payload bytes a stored value env ANYKV_MAX_DECODE_EXPANSION default 64
                         may decode to per stored byte (past the first MiB)
  --max-decode-nodes N   values one stored value may    env ANYKV_MAX_DECODE_NODES default 2000000
                         decode to
  --max-int-digits N     decimal digits of an int       env ANYKV_MAX_INT_DIGITS default 4300
  --decode-threads N     threads decoding large values  env ANYKV_DECODE_THREADS default cores-1 (1..4)
                         (0: all on the event loop)
  --decode-inline-bytes N  values up to N bytes decode  env ANYKV_DECODE_INLINE_BYTES default 16384
                         on the event loop
  --max-decode-ms N      time one decode may take on a  env ANYKV_MAX_DECODE_MS default 2000
                         thread before it is stopped
  --max-decode-queue N   decodes waiting for a thread   env ANYKV_MAX_DECODE_QUEUE default 1024
  --max-concurrent-streams N calls open at once on one  env ANYKV_MAX_CONCURRENT_STREAMS default 250
                         HTTP/2 connection
  --max-listing-streams N  ListKeys, ListValues, Stream env ANYKV_MAX_LISTING_STREAMS default 1000
                         and Download calls open at once
  --max-watch-streams N  Watch calls open at once       env ANYKV_MAX_WATCH_STREAMS default 10000
  --headers-timeout DUR  time to send the protocol and  env ANYKV_HEADERS_TIMEOUT default 30s
                         HTTP/1.1 request headers (0: none)
  --request-timeout DUR  time to send an HTTP/1.1       env ANYKV_REQUEST_TIMEOUT default 5m
                         request whole (0: none)
  --idle-timeout DUR     close connections with no call env ANYKV_IDLE_TIMEOUT default 2m
                         for this long (0: never)
  --keepalive-interval DUR  PING HTTP/2 connections     env ANYKV_KEEPALIVE_INTERVAL default 1m
                         with open streams (0: never)
  --keepalive-timeout DUR   close them when a PING is   env ANYKV_KEEPALIVE_TIMEOUT default 20s
                         not answered in time
  --max-stream-buffer-bytes N  bytes a stream holds for env ANYKV_MAX_STREAM_BUFFER_BYTES default 4194304
                         a client that does not read (Watch events)
  --log-level LEVEL      fatal, error, warn, info, debug env ANYKV_LOG_LEVEL default info
                         trace or silent (JSON lines on stdout; pretty on a terminal)
  --metrics-listen HOST:PORT  serve /metrics there     env ANYKV_METRICS_LISTEN default none
                         instead of on the main port
  --auth-file FILE       tokens and their grants; every env ANYKV_AUTH_FILE default none (auth off)
                         call then needs a token (SIGHUP reloads it)
  --tls-cert FILE        PEM certificate: serve TLS     env ANYKV_TLS_CERT     default none (cleartext)
  --tls-key FILE         PEM key of --tls-cert          env ANYKV_TLS_KEY      default none
  --tls-client-ca FILE   require client certificates    env ANYKV_TLS_CLIENT_CA default none
                         signed by this CA (mTLS)
`;

/** Flags win over environment variables, which win over the defaults. */
export function serveOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Partial<ServerOptions> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: "string" },
      port: { type: "string" },
      data: { type: "string" },
      backend: { type: "string" },
      workers: { type: "string" },
      sync: { type: "string" },
      "default-ttl": { type: "string" },
      "default-mode": { type: "string" },
      "no-store-none": { type: "boolean" },
      "max-key-bytes": { type: "string" },
      "max-message-bytes": { type: "string" },
      "cors-origin": { type: "string", multiple: true },
      "anystore-prefix": { type: "string" },
      "allowed-hosts": { type: "string", multiple: true },
      "max-batch-size": { type: "string" },
      models: { type: "string", multiple: true },
      "default-model": { type: "string" },
      "allow-code": { type: "boolean" },
      "no-code": { type: "boolean" }, // the default since code became opt-in; kept so old command lines run
      "watch-retention": { type: "string" },
      "watch-retention-age": { type: "string" },
      "watch-progress-interval": { type: "string" },
      "max-decode-expansion": { type: "string" },
      "max-decode-nodes": { type: "string" },
      "max-int-digits": { type: "string" },
      "decode-threads": { type: "string" },
      "decode-inline-bytes": { type: "string" },
      "max-decode-ms": { type: "string" },
      "max-decode-queue": { type: "string" },
      "max-concurrent-streams": { type: "string" },
      "max-listing-streams": { type: "string" },
      "max-watch-streams": { type: "string" },
      "headers-timeout": { type: "string" },
      "request-timeout": { type: "string" },
      "idle-timeout": { type: "string" },
      "keepalive-interval": { type: "string" },
      "keepalive-timeout": { type: "string" },
      "max-stream-buffer-bytes": { type: "string" },
      "log-level": { type: "string" },
      "metrics-listen": { type: "string" },
      "auth-file": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-client-ca": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const pick = (flag: string | undefined, name: string) => flag ?? env[name];
  const options: { -readonly [K in keyof ServerOptions]?: ServerOptions[K] } = {};
  const host = pick(values.host, "ANYKV_HOST");
  const port = pick(values.port, "ANYKV_PORT");
  const data = pick(values.data, "ANYKV_DATA");
  const backend = pick(values.backend, "ANYKV_BACKEND");
  const sync = pick(values.sync, "ANYKV_SYNC");
  const workers = pick(values.workers, "ANYKV_WORKERS");
  const ttl = pick(values["default-ttl"], "ANYKV_DEFAULT_TTL");
  const mode = pick(values["default-mode"], "ANYKV_DEFAULT_MODE");
  const keyBytes = pick(values["max-key-bytes"], "ANYKV_MAX_KEY_BYTES");
  const messageBytes = pick(values["max-message-bytes"], "ANYKV_MAX_MESSAGE_BYTES");
  const batchSize = pick(values["max-batch-size"], "ANYKV_MAX_BATCH_SIZE");
  if (host) options.host = host;
  if (port) options.port = integer(port, "port");
  if (data) options.data = data;
  if (backend) options.backend = backend;
  if (sync) options.sync = sync as ServerOptions["sync"];
  if (workers) options.workers = integer(workers, "workers");
  if (ttl) options.defaultTtlMs = parseDuration(ttl);
  if (mode) options.defaultMode = mode as ModeName;
  if (keyBytes) options.maxKeyBytes = integer(keyBytes, "max key bytes");
  if (messageBytes) options.maxMessageBytes = integer(messageBytes, "max message bytes");
  if (batchSize) options.maxBatchSize = integer(batchSize, "max batch size");
  const corsOrigins = values["cors-origin"] ?? env.ANYKV_CORS_ORIGINS?.split(",");
  if (corsOrigins) options.corsOrigins = corsOrigins.map((origin) => origin.trim()).filter(Boolean);
  const allowedHosts = values["allowed-hosts"]?.join(",") ?? env.ANYKV_ALLOWED_HOSTS;
  if (allowedHosts !== undefined)
    options.allowedHosts = allowedHosts
      .split(",")
      .map((host) => host.trim())
      .filter(Boolean);
  const anystorePrefix = values["anystore-prefix"] ?? env.ANYKV_ANYSTORE_PREFIX;
  if (anystorePrefix !== undefined) options.anystorePrefix = anystorePrefix;
  const models = values.models ?? env.ANYKV_MODELS?.split(",");
  if (models) options.models = models.map((file) => file.trim()).filter(Boolean);
  const defaultModel = pick(values["default-model"], "ANYKV_DEFAULT_MODEL");
  if (defaultModel) options.defaultModel = defaultModel;
  const retention = pick(values["watch-retention"], "ANYKV_WATCH_RETENTION");
  if (retention) options.watchRetention = integer(retention, "watch retention");
  const retentionAge = pick(values["watch-retention-age"], "ANYKV_WATCH_RETENTION_AGE");
  if (retentionAge) options.watchRetentionMs = parseDuration(retentionAge);
  const progress = pick(values["watch-progress-interval"], "ANYKV_WATCH_PROGRESS_INTERVAL");
  if (progress) options.watchProgressMs = parseDuration(progress);
  const decodeExpansion = pick(values["max-decode-expansion"], "ANYKV_MAX_DECODE_EXPANSION");
  if (decodeExpansion) options.maxDecodeExpansion = integer(decodeExpansion, "max decode expansion");
  const decodeNodes = pick(values["max-decode-nodes"], "ANYKV_MAX_DECODE_NODES");
  if (decodeNodes) options.maxDecodeNodes = integer(decodeNodes, "max decode nodes");
  const intDigits = pick(values["max-int-digits"], "ANYKV_MAX_INT_DIGITS");
  if (intDigits) options.maxIntDigits = integer(intDigits, "max int digits");
  const decodeThreads = pick(values["decode-threads"], "ANYKV_DECODE_THREADS");
  if (decodeThreads) options.decodeThreads = integer(decodeThreads, "decode threads");
  const inlineBytes = pick(values["decode-inline-bytes"], "ANYKV_DECODE_INLINE_BYTES");
  if (inlineBytes) options.decodeInlineBytes = integer(inlineBytes, "decode inline bytes");
  const decodeMs = pick(values["max-decode-ms"], "ANYKV_MAX_DECODE_MS");
  if (decodeMs) options.maxDecodeMs = integer(decodeMs, "max decode ms");
  const decodeQueue = pick(values["max-decode-queue"], "ANYKV_MAX_DECODE_QUEUE");
  if (decodeQueue) options.maxDecodeQueue = integer(decodeQueue, "max decode queue");
  const streamBuffer = pick(values["max-stream-buffer-bytes"], "ANYKV_MAX_STREAM_BUFFER_BYTES");
  if (streamBuffer) options.maxStreamBufferBytes = integer(streamBuffer, "max stream buffer bytes");
  if (values["allow-code"] && values["no-code"])
    throw new RangeError("invalid configuration: --allow-code and --no-code contradict each other");
  const allowCode = values["allow-code"] ? "true" : values["no-code"] ? "false" : env.ANYKV_ALLOW_CODE;
  if (allowCode !== undefined) options.allowCode = boolean(allowCode, "ANYKV_ALLOW_CODE");
  Object.assign(options, connectionOptions(values, env));
  options.logLevel = (pick(values["log-level"], "ANYKV_LOG_LEVEL") || "info") as ServerOptions["logLevel"];
  const metricsListen = pick(values["metrics-listen"], "ANYKV_METRICS_LISTEN");
  if (metricsListen) options.metricsListen = metricsListen;
  for (const [flag, name, key] of [
    ["auth-file", "ANYKV_AUTH_FILE", "authFile"],
    ["tls-cert", "ANYKV_TLS_CERT", "tlsCert"],
    ["tls-key", "ANYKV_TLS_KEY", "tlsKey"],
    ["tls-client-ca", "ANYKV_TLS_CLIENT_CA", "tlsClientCa"],
  ] as const) {
    const file = pick(values[flag], name);
    if (file) options[key] = file;
  }
  if (values["no-store-none"] || env.ANYKV_STORE_NONE_VALUES === "false") options.storeNoneValues = false;
  return resolveServerOptions(options);
}

function boolean(text: string, what: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off|)$/i.test(text)) return false;
  throw new RangeError(`invalid configuration: ${what} "${text}" is not true or false`);
}

/** The connection and stream limits (src/server/connection-limits.ts, stream-limits.ts). */
function connectionOptions(
  values: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): Partial<ServerOptions> {
  const pick = (flag: string, name: string) => (values[flag] as string | undefined) ?? env[name];
  const options: { -readonly [K in keyof ServerOptions]?: ServerOptions[K] } = {};
  const counts = [
    ["max-concurrent-streams", "ANYKV_MAX_CONCURRENT_STREAMS", "maxConcurrentStreams"],
    ["max-listing-streams", "ANYKV_MAX_LISTING_STREAMS", "maxListingStreams"],
    ["max-watch-streams", "ANYKV_MAX_WATCH_STREAMS", "maxWatchStreams"],
  ] as const;
  for (const [flag, name, key] of counts) {
    const text = pick(flag, name);
    if (text) options[key] = integer(text, flag.replaceAll("-", " "));
  }
  const durations = [
    ["headers-timeout", "ANYKV_HEADERS_TIMEOUT", "headersTimeoutMs"],
    ["request-timeout", "ANYKV_REQUEST_TIMEOUT", "requestTimeoutMs"],
    ["idle-timeout", "ANYKV_IDLE_TIMEOUT", "idleTimeoutMs"],
    ["keepalive-interval", "ANYKV_KEEPALIVE_INTERVAL", "keepaliveIntervalMs"],
    ["keepalive-timeout", "ANYKV_KEEPALIVE_TIMEOUT", "keepaliveTimeoutMs"],
  ] as const;
  for (const [flag, name, key] of durations) {
    const text = pick(flag, name);
    if (text) options[key] = parseDuration(text);
  }
  return options;
}

function integer(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n))
    throw new RangeError(`invalid configuration: ${what} "${text}" is not a whole number`);
  return n;
}

export async function serve(argv: readonly string[]): Promise<void> {
  const options = resolveServerOptions(serveOptions(argv, process.env));
  if (options.workers > 1 && !isServeWorker()) return servePrimary(options);
  const server = await startServer(options);
  const { logger } = server;
  const security = [
    options.tlsCert && (options.tlsClientCa ? "TLS with client certificates" : "TLS"),
    options.authFile && `tokens from ${options.authFile}`,
  ]
    .filter(Boolean)
    .join(", ");
  if (isServeWorker()) reportListening(server.url);
  // Tests and scripts read the URL from this line: keep a space after it.
  else
    logger.info(
      { url: server.url, metrics: server.metricsUrl },
      `anykv listening on ${server.url} (gRPC, gRPC-Web, Connect); data: ${server.backendDescription}${security ? `; ${security}` : ""}`,
    );
  const stop = (signal: string) => {
    logger.info(`anykv: ${signal} received, finishing in-flight calls and closing the store`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "anykv: error while stopping");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}
