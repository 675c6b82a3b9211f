import { parseBackendSpec } from "../backend/open-backend.js";
import type { ModeName } from "../codec/typed-value.js";
import { defaultDecodePoolOptions } from "./decode/decode-pool.js";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "./observe/logger.js";

export { parseDuration } from "./duration.js";

/** Everything a server can be told; flags, environment and defaults meet in resolveServerOptions. */
export interface ServerOptions {
  /**
   * Address to listen on.
   * @default "127.0.0.1"
   */
  readonly host: string;
  /**
   * Port; 0 picks a free one.
   * @default 50051
   */
  readonly port: number;
  /**
   * Storage backend (`--backend`, ANYKV_BACKEND): `leveldb:PATH` (embedded, persistent; plain
   * `leveldb` uses `data`), `memory:` (lost at exit), `redis://…` / `rediss://…` or
   * `postgres://…` (shared by several anykv servers). See src/backend/open-backend.ts.
   * @default "leveldb"
   */
  readonly backend: string;
  /**
   * Processes `anykv serve` runs (node:cluster), all on the one port, so that one machine's
   * cores all serve; above 1 only with a backend several processes share (`--workers`).
   * startServer itself is always one process.
   * @default 1
   */
  readonly workers: number;
  /**
   * LevelDB data directory; created when missing.
   * @default "./data"
   */
  readonly data: string;
  /**
   * Durability of LevelDB writes: "always" syncs each group commit to disk before its
   * writes are acknowledged (they survive an OS crash or power loss); "none" leaves the
   * flush to the OS, faster, but an OS crash can lose the last acknowledged writes.
   * @default "always"
   */
  readonly sync: "always" | "none";
  /**
   * TTL of keys put without one, in milliseconds; 0 for none.
   * @default 0
   */
  readonly defaultTtlMs: number;
  /**
   * Mode of requests that leave it unspecified.
   * @default "auto"
   */
  readonly defaultMode: ModeName;
  /**
   * Store nulls; when false a put of null is skipped.
   * @default true
   */
  readonly storeNoneValues: boolean;
  /**
   * A get of a missing key is NOT_FOUND unless the request says otherwise.
   * @default true
   */
  readonly raiseOnNonexist: boolean;
  /**
   * Longest key in UTF-8 bytes.
   * @default 1024
   */
  readonly maxKeyBytes: number;
  /**
   * Deepest nesting of a value.
   * @default 64
   */
  readonly maxDepth: number;
  /**
   * Largest request message in bytes (RESOURCE_EXHAUSTED beyond it).
   * @default 4194304 (4 MiB, gRPC's default)
   */
  readonly maxMessageBytes: number;
  /**
   * Most items (keys, puts, deletes, ops) in one GetMany, PutMany, DeleteMany or Batch
   * (RESOURCE_EXHAUSTED beyond it).
   * @default 1000
   */
  readonly maxBatchSize: number;
  /**
   * Serialized FileDescriptorSets (`buf build -o models.binpb`) whose message types are
   * registered as models at start-up, replacing stored versions of the same files.
   * @default []
   */
  readonly models: readonly string[];
  /**
   * Model of puts and gets that name none (anystore's store-wide model); "" for none.
   * @default ""
   */
  readonly defaultModel: string;
  /**
   * Store and serve code values (functions) (`--allow-code`). Off, puts of code answer
   * PERMISSION_DENIED and stored code reads as the plain dict it is pickled as.
   * @default false
   */
  readonly allowCode: boolean;
  /**
   * Origins that browser code may call the server from (CORS), exact ("https://app.example.com")
   * or "*" for any; empty turns CORS off.
   * @default []
   */
  readonly corsOrigins: readonly string[];
  /**
   * Host header values the server answers (DNS rebinding defense): names or addresses matching
   * any port ("localhost", "127.0.0.1", "[::1]"), "name:port" for one port, ".example.com" for a
   * domain and its subdomains. Other hosts are refused (PERMISSION_DENIED for RPCs, HTTP 421
   * otherwise). Empty turns the check off, whatever the bind address.
   * @default [] (off)
   */
  readonly allowedHosts: readonly string[];
  /**
   * Path of the anystore-compatible HTTP API (`anystore+http://host:port/anystore`); "" turns it off.
   * @default "/anystore"
   */
  readonly anystorePrefix: string;
  /**
   * Most recent change events kept for Watch clients that resume from a revision; older
   * revisions answer OUT_OF_RANGE (`--watch-retention`).
   * @default 10000
   */
  readonly watchRetention: number;
  /**
   * Oldest change event kept for resuming watches, in milliseconds (`--watch-retention-age`).
   * @default 3600000 (1 hour)
   */
  readonly watchRetentionMs: number;
  /**
   * A Watch that was sent nothing for this long while other keys changed gets a progress
   * notification, so that its client's resume point moves on (`--watch-progress-interval`);
   * 0 for none.
   * @default 10000 (10 s)
   */
  readonly watchProgressMs: number;
  /**
   * Most payload bytes (str, bytes, big ints; shared references counted each time) that a stored
   * value may decode to per byte of its stored form, past the first MiB; RESOURCE_EXHAUSTED
   * beyond (`--max-decode-expansion`).
   * @default 64
   */
  readonly maxDecodeExpansion: number;
  /**
   * Most values (containers and scalars, shared references counted each time) that one stored
   * value may decode to; RESOURCE_EXHAUSTED beyond (`--max-decode-nodes`).
   * @default 2000000
   */
  readonly maxDecodeNodes: number;
  /**
   * Most decimal digits of an int, read or written (decimal conversion costs time quadratic in
   * the digits; 4300 is CPython's own limit); RESOURCE_EXHAUSTED beyond (`--max-int-digits`).
   * @default 4300
   */
  readonly maxIntDigits: number;
  /**
   * Most bytes a server stream may hold for a client that does not read: events waiting for a
   * Watch client (RESOURCE_EXHAUSTED beyond, naming the revision to resume from)
   * (`--max-stream-buffer-bytes`).
   * @default 4194304 (4 MiB)
   */
  readonly maxStreamBufferBytes: number;
  /**
   * Threads that decode large stored values off the event loop; 0 decodes every value on it
   * (`--decode-threads`).
   * @default availableParallelism() − 1, at least 1 and at most 4
   */
  readonly decodeThreads: number;
  /**
   * Stored values up to this many bytes (that decode to at most 20,000 values) are decoded on
   * the event loop; larger ones on a decode thread (`--decode-inline-bytes`).
   * @default 16384
   */
  readonly decodeInlineBytes: number;
  /**
   * Most milliseconds one decode may run on a decode thread; past it the thread is stopped and
   * the read is RESOURCE_EXHAUSTED (`--max-decode-ms`).
   * @default 2000
   */
  readonly maxDecodeMs: number;
  /**
   * Most decodes waiting for a thread; RESOURCE_EXHAUSTED beyond (`--max-decode-queue`).
   * @default 1024
   */
  readonly maxDecodeQueue: number;
  /**
   * The auth file (`--auth-file`): tokens, by their sha256, with their grants. With one, every call
   * but health and reflection needs "authorization: Bearer TOKEN"; SIGHUP reads it again.
   * "" turns auth off.
   * @default ""
   */
  readonly authFile: string;
  /**
   * PEM certificate (chain) of the server (`--tls-cert`); with tlsKey, the port serves TLS only
   * (HTTP/2 by ALPN and HTTP/1.1). "" for cleartext.
   * @default ""
   */
  readonly tlsCert: string;
  /**
   * PEM private key of tlsCert (`--tls-key`).
   * @default ""
   */
  readonly tlsKey: string;
  /**
   * PEM CA certificate(s) that must have signed every client's certificate (`--tls-client-ca`,
   * mTLS); "" asks clients for none.
   * @default ""
   */
  readonly tlsClientCa: string;
  /**
   * How long shutdown waits for in-flight calls before closing connections, in milliseconds.
   * @default 10000
   */
  readonly shutdownTimeoutMs: number;
  /**
   * Most streams (calls) one HTTP/2 connection may have open at once, advertised in its
   * SETTINGS; the peer's streams beyond it are refused (`--max-concurrent-streams`).
   * @default 250 (as Go's net/http2 server)
   */
  readonly maxConcurrentStreams: number;
  /**
   * Most ListKeys, ListValues, Stream and Download calls open at once across all connections;
   * RESOURCE_EXHAUSTED beyond (`--max-listing-streams`).
   * @default 1000
   */
  readonly maxListingStreams: number;
  /**
   * Most Watch calls (anykv's and health's) open at once across all connections;
   * RESOURCE_EXHAUSTED beyond (`--max-watch-streams`).
   * @default 10000
   */
  readonly maxWatchStreams: number;
  /**
   * Time a new connection has to show its protocol, and an HTTP/1.1 request to send all its
   * headers, in milliseconds; 0 for none (`--headers-timeout`).
   * @default 30000
   */
  readonly headersTimeoutMs: number;
  /**
   * Time an HTTP/1.1 request has to arrive whole, in milliseconds; 0 for none
   * (`--request-timeout`). At least headersTimeoutMs.
   * @default 300000 (5 minutes)
   */
  readonly requestTimeoutMs: number;
  /**
   * A connection with no call for this long is closed (HTTP/2 with GOAWAY; HTTP/1.1 between
   * requests), in milliseconds; 0 for never (`--idle-timeout`).
   * @default 120000 (2 minutes)
   */
  readonly idleTimeoutMs: number;
  /**
   * An HTTP/2 connection with open streams is sent a PING this often, in milliseconds; 0 for
   * never (`--keepalive-interval`).
   * @default 60000
   */
  readonly keepaliveIntervalMs: number;
  /**
   * A PING unanswered for this long closes its connection and the streams on it, in
   * milliseconds (`--keepalive-timeout`).
   * @default 20000
   */
  readonly keepaliveTimeoutMs: number;
  /**
   * Least severe level logged (pino JSON lines on stdout; a pretty form when stdout is a
   * terminal): fatal, error, warn, info (one access line per call), debug (also calls the
   * client cancelled), trace, or silent (`--log-level`).
   * @default "warn" for startServer (a program embedding the server is not flooded with access
   * lines); `anykv serve` defaults to "info"
   */
  readonly logLevel: LogLevel;
  /**
   * "HOST:PORT" of a listener of its own that serves GET /metrics (Prometheus text); "" serves
   * /metrics on the main port (`--metrics-listen`).
   * @default ""
   */
  readonly metricsListen: string;
}

export const defaultServerOptions: ServerOptions = Object.freeze({
  host: "127.0.0.1",
  port: 50051,
  backend: "leveldb",
  workers: 1,
  data: "./data",
  sync: "always",
  defaultTtlMs: 0,
  defaultMode: "auto",
  storeNoneValues: true,
  raiseOnNonexist: true,
  maxKeyBytes: 1024,
  maxDepth: 64,
  maxMessageBytes: 4 * 1024 * 1024,
  maxBatchSize: 1000,
  models: [],
  defaultModel: "",
  allowCode: false,
  corsOrigins: [],
  allowedHosts: [],
  anystorePrefix: "/anystore",
  authFile: "",
  tlsCert: "",
  tlsKey: "",
  tlsClientCa: "",
  shutdownTimeoutMs: 10_000,
  watchRetention: 10_000,
  watchRetentionMs: 3_600_000,
  watchProgressMs: 10_000,
  maxDecodeExpansion: 64,
  maxDecodeNodes: 2_000_000,
  maxIntDigits: 4300,
  maxStreamBufferBytes: 4 * 1024 * 1024,
  decodeThreads: defaultDecodePoolOptions.threads,
  decodeInlineBytes: defaultDecodePoolOptions.inlineBytes,
  maxDecodeMs: defaultDecodePoolOptions.budgetMs,
  maxDecodeQueue: defaultDecodePoolOptions.maxQueue,
  maxConcurrentStreams: 250,
  maxListingStreams: 1000,
  maxWatchStreams: 10_000,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 120_000,
  keepaliveIntervalMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  logLevel: "warn",
  metricsListen: "",
});

/** Merges options over the defaults and checks them once, at start-up. */
export function resolveServerOptions(options: Partial<ServerOptions> = {}): ServerOptions {
  const o = { ...defaultServerOptions, ...options };
  const fail = (why: string): never => {
    throw new RangeError(`invalid configuration: ${why}`);
  };
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) fail(`port ${o.port} is not 0 to 65535`);
  try {
    parseBackendSpec(o.backend, o.data);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (!(Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= 64))
    fail("workers must be a whole number from 1 to 64");
  if (o.sync !== "always" && o.sync !== "none") fail(`sync "${String(o.sync)}" is not always or none`);
  if (!(o.defaultTtlMs >= 0)) fail("the default TTL must not be negative");
  if (!["auto", "raw", "json", "pickle"].includes(o.defaultMode))
    fail(`mode "${o.defaultMode}" is not auto, raw, json or pickle`);
  // store.proto declares keys of at most 4096 bytes: a longer limit could never be reached.
  if (!(Number.isInteger(o.maxKeyBytes) && o.maxKeyBytes >= 1 && o.maxKeyBytes <= 4096))
    fail("max key bytes must be an integer from 1 to 4096");
  if (!(Number.isInteger(o.maxDepth) && o.maxDepth >= 1)) fail("max depth must be a positive integer");
  if (!(Number.isInteger(o.maxMessageBytes) && o.maxMessageBytes >= 1024))
    fail("max message bytes must be at least 1024");
  if (!(Number.isInteger(o.maxBatchSize) && o.maxBatchSize >= 1))
    fail("max batch size must be a positive integer");
  if (!(Number.isInteger(o.watchRetention) && o.watchRetention >= 0))
    fail("watch retention must be a whole number of events, 0 or more");
  if (!(o.watchRetentionMs >= 0)) fail("watch retention age must not be negative");
  if (!(o.watchProgressMs >= 0)) fail("the watch progress interval must not be negative");
  for (const [name, value] of [
    ["max decode expansion", o.maxDecodeExpansion],
    ["max decode nodes", o.maxDecodeNodes],
    ["max int digits", o.maxIntDigits],
    ["max decode ms", o.maxDecodeMs],
    ["max decode queue", o.maxDecodeQueue],
    ["max stream buffer bytes", o.maxStreamBufferBytes],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= 1)) fail(`${name} must be a positive integer`);
  }
  if (!(Number.isInteger(o.decodeThreads) && o.decodeThreads >= 0 && o.decodeThreads <= 64))
    fail("decode threads must be a whole number from 0 to 64");
  if (!(Number.isSafeInteger(o.decodeInlineBytes) && o.decodeInlineBytes >= 0))
    fail("decode inline bytes must be a whole number, 0 or more");
  checkConnectionLimits(o, fail);
  if (!isLogLevel(o.logLevel))
    fail(`log level "${String(o.logLevel)}" is not one of ${LOG_LEVELS.join(", ")}`);
  if (o.metricsListen !== "" && !parseListenAddress(o.metricsListen))
    fail(`metrics listen address "${o.metricsListen}" must be HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464`);
  if ((o.tlsCert === "") !== (o.tlsKey === ""))
    fail("TLS needs both a certificate and its key (--tls-cert and --tls-key)");
  if (o.tlsClientCa !== "" && o.tlsCert === "")
    fail("a TLS client CA (--tls-client-ca) needs TLS: add --tls-cert and --tls-key");
  if (o.anystorePrefix !== "" && !/^(\/[^/?#\s]+)+$/.test(o.anystorePrefix))
    fail(
      `anystore prefix "${o.anystorePrefix}" must be a path like /anystore (no trailing slash), or "" for off`,
    );
  for (const origin of o.corsOrigins) {
    if (origin !== "*" && !/^https?:\/\/[^/\s]+$/.test(origin))
      fail(`CORS origin "${origin}" must be "*" or scheme://host[:port] without a path`);
  }
  for (const host of o.allowedHosts) {
    if (!/^(\.?[a-z0-9_.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i.test(host))
      fail(
        `allowed host "${host}" must be a host name or address with an optional :port, without scheme or path`,
      );
  }
  return o;
}

function checkConnectionLimits(o: ServerOptions, fail: (why: string) => never): void {
  if (
    !(
      Number.isInteger(o.maxConcurrentStreams) &&
      o.maxConcurrentStreams >= 1 &&
      o.maxConcurrentStreams < 2 ** 31
    )
  )
    fail("max concurrent streams must be a whole number from 1 to 2147483647");
  if (!(Number.isInteger(o.maxListingStreams) && o.maxListingStreams >= 1))
    fail("max listing streams must be a positive integer");
  if (!(Number.isInteger(o.maxWatchStreams) && o.maxWatchStreams >= 1))
    fail("max watch streams must be a positive integer");
  const timeouts = {
    "headers timeout": o.headersTimeoutMs,
    "request timeout": o.requestTimeoutMs,
    "idle timeout": o.idleTimeoutMs,
    "keepalive interval": o.keepaliveIntervalMs,
    "keepalive timeout": o.keepaliveTimeoutMs,
  };
  for (const [what, ms] of Object.entries(timeouts))
    if (!(Number.isInteger(ms) && ms >= 0)) fail(`${what} must be a whole number of milliseconds, 0 or more`);
  if (o.requestTimeoutMs > 0 && o.headersTimeoutMs > o.requestTimeoutMs)
    fail("the headers timeout must not be longer than the request timeout");
  if (o.keepaliveIntervalMs > 0 && o.keepaliveTimeoutMs < 1)
    fail("the keepalive timeout must be positive while keepalive pings are on");
}

/** "HOST:PORT" ("[v6]:PORT" for IPv6) as host and port; undefined when it is not one. */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}
