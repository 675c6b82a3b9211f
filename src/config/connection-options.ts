import { option, optionGroup } from "./option.js";
import { duration, integer } from "./option-kinds.js";

/** Limits on connections and streams, and their timeouts (src/server/connection-limits.ts). */
export const connectionOptions = optionGroup("Connections", {
  /**
   * Most streams (calls) one HTTP/2 connection may have open at once, advertised in its
   * SETTINGS; the peer's streams beyond it are refused. 250 as Go's net/http2 server.
   */
  maxConcurrentStreams: option({
    flag: "max-concurrent-streams",
    kind: integer(1, 2 ** 31 - 1),
    default: 250,
    help: "calls open at once on one HTTP/2 connection",
  }),
  /** Most ListKeys, ListValues, Stream and Download calls open at once across all connections. */
  maxListingStreams: option({
    flag: "max-listing-streams",
    kind: integer(1),
    default: 1000,
    help: "ListKeys, ListValues, Stream and Download calls open at once",
  }),
  /** Most Watch calls (anykv's and health's) open at once across all connections. */
  maxWatchStreams: option({
    flag: "max-watch-streams",
    kind: integer(1),
    default: 10_000,
    help: "Watch calls open at once",
  }),
  /** Time a new connection has to show its protocol, and an HTTP/1.1 request its headers; 0 for none. */
  headersTimeoutMs: option({
    flag: "headers-timeout",
    kind: duration(),
    default: 30_000,
    help: "time to send the protocol and HTTP/1.1 request headers (0: none)",
  }),
  /** Time an HTTP/1.1 request has to arrive whole; 0 for none. At least headersTimeoutMs. */
  requestTimeoutMs: option({
    flag: "request-timeout",
    kind: duration(),
    default: 300_000,
    help: "time to send an HTTP/1.1 request whole (0: none)",
  }),
  /** A connection with no call for this long is closed (HTTP/2 with GOAWAY); 0 for never. */
  idleTimeoutMs: option({
    flag: "idle-timeout",
    kind: duration(),
    default: 120_000,
    help: "close connections with no call for this long (0: never)",
  }),
  /** An HTTP/2 connection with open streams is sent a PING this often; 0 for never. */
  keepaliveIntervalMs: option({
    flag: "keepalive-interval",
    kind: duration(),
    default: 60_000,
    help: "PING HTTP/2 connections with open streams this often (0: never)",
  }),
  /** A PING unanswered for this long closes its connection and the streams on it. */
  keepaliveTimeoutMs: option({
    flag: "keepalive-timeout",
    kind: duration(),
    default: 20_000,
    help: "close a connection whose PING is not answered in time",
  }),
});
