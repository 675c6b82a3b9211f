import { option, optionGroup } from "./option.js";
import { boolean, duration, integer, list, nonEmpty, text } from "./option-kinds.js";

/** Where the server listens, who may reach it, and how it stops. */
export const listenOptions = optionGroup("Listening", {
  /**
   * Address to listen on. An address beyond loopback needs authentication (--auth-file) or
   * --insecure: protected mode refuses to start otherwise (protected-mode.ts).
   */
  host: option({
    flag: "host",
    kind: text("HOST", nonEmpty),
    default: "127.0.0.1",
    help: "address to listen on",
  }),
  /** Port; 0 picks a free one. */
  port: option({ flag: "port", kind: integer(0, 65535), default: 50051, help: "port (0 picks a free one)" }),
  /**
   * Serve clients on addresses beyond loopback without authentication (turns protected mode off).
   */
  insecure: option({
    flag: "insecure",
    kind: boolean(),
    default: false,
    help: "listen beyond loopback without --auth-file (anyone who reaches the port may read and write)",
  }),
  /** Refuse every write (FAILED_PRECONDITION "the server is read-only"); reads work. */
  readOnly: option({
    flag: "readonly",
    kind: boolean(),
    default: false,
    help: "refuse every write (FAILED_PRECONDITION); reads work",
  }),
  /**
   * Processes `anykv serve` runs (node:cluster), all on the one port, so that one machine's cores
   * all serve; above 1 only with a backend several processes share. startServer itself is always
   * one process.
   */
  workers: option({
    flag: "workers",
    kind: integer(1, 64),
    default: 1,
    help: "processes serving the one port (above 1: a shared backend only)",
  }),
  /** How long shutdown waits for in-flight calls before closing connections, in milliseconds. */
  shutdownTimeoutMs: option({
    flag: "shutdown-timeout",
    kind: duration(),
    default: 10_000,
    help: "time SIGTERM waits for in-flight calls before closing connections",
  }),
  /**
   * Host header values the server answers (DNS rebinding defense): names or addresses matching
   * any port ("localhost", "127.0.0.1", "[::1]"), "name:port" for one port, ".example.com" for a
   * domain and its subdomains. Other hosts are refused (PERMISSION_DENIED for RPCs, HTTP 421
   * otherwise). Empty turns the check off, whatever the bind address.
   */
  allowedHosts: option({
    flag: "allowed-hosts",
    kind: list("HOSTS", (host) =>
      /^(\.?[a-z0-9_.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i.test(host)
        ? undefined
        : `"${host}" must be a host name or address with an optional :port, without scheme or path`,
    ),
    default: [],
    defaultText: "none (any Host)",
    help: "Host header values to answer (DNS rebinding defense; comma-separated, repeatable)",
  }),
  /**
   * Origins that browser code may call the server from (CORS), exact ("https://app.example.com")
   * or "*" for any; empty turns CORS off.
   */
  corsOrigins: option({
    flag: "cors-origin",
    env: "ANYKV_CORS_ORIGINS",
    kind: list("ORIGIN", (origin) =>
      origin === "*" || /^https?:\/\/[^/\s]+$/.test(origin)
        ? undefined
        : `"${origin}" must be "*" or scheme://host[:port] without a path`,
    ),
    default: [],
    defaultText: "none (CORS off)",
    help: "let browsers at ORIGIN call the server (repeatable; * for any)",
  }),
  /** Path of the anystore-compatible HTTP API (`anystore+http://host:port/anystore`); "" turns it off. */
  anystorePrefix: option({
    flag: "anystore-prefix",
    kind: text("PATH", (prefix) =>
      prefix === "" || /^(\/[^/?#\s]+)+$/.test(prefix)
        ? undefined
        : `"${prefix}" must be a path like /anystore (no trailing slash), or "" for off`,
    ),
    default: "/anystore",
    help: 'path of the anystore HTTP API ("" turns it off)',
  }),
});
