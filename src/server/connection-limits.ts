import type http from "node:http";
import type http2 from "node:http2";

/** How long connections may take, and how many calls each may run; see ServerOptions. */
export interface ConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly maxConcurrentStreams: number;
}

/**
 * Options of the HTTP/1.1 server: Node's own header, request and keep-alive timeouts (a request
 * whose headers trickle in is answered 408 and closed once `headersTimeoutMs` has passed).
 */
export function http1ServerOptions(limits: ConnectionLimits): http.ServerOptions {
  const shortest = Math.min(...[limits.headersTimeoutMs, limits.requestTimeoutMs].filter((ms) => ms > 0));
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    // Node checks the header and request timeouts on this period; a quarter of the shortest
    // one keeps a cut within 25% of its timeout.
    connectionsCheckingInterval: Number.isFinite(shortest)
      ? Math.min(30_000, Math.max(50, Math.floor(shortest / 4)))
      : 30_000,
  };
}

/**
 * Node starts checking the header and request timeouts when an HTTP server starts listening.
 * anykv's HTTP/1.1 server never listens (the TCP listener hands it its connections), so the
 * check is started here, by the event that starts it in Node.
 */
export function startHttp1Timeouts(server: http.Server): void {
  server.emit("listening");
}

/** Stops the checks startHttp1Timeouts began. */
export function stopHttp1Timeouts(server: http.Server): void {
  server.close(() => {}); // never listened: only clears the check (the callback hears ERR_SERVER_NOT_RUNNING)
}

/** Options of the HTTP/2 server: the streams one connection may have open at once. */
export function http2ServerOptions(limits: ConnectionLimits): http2.ServerOptions {
  return { settings: { maxConcurrentStreams: limits.maxConcurrentStreams } };
}

/**
 * Bounds an HTTP/2 session's life without calls: once it has had no open stream for
 * `idleTimeoutMs` it is closed with GOAWAY. While streams are open (a Watch that waits for
 * changes sends nothing for hours), the session is never idle; instead it is sent a PING every
 * `keepaliveIntervalMs`, and destroyed when the peer does not answer within `keepaliveTimeoutMs`,
 * so the streams of a vanished client are freed (gRPC's keepalive, server side).
 */
export function limitSession(session: http2.ServerHttp2Session, limits: ConnectionLimits): void {
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const becomeIdle = () => {
    if (limits.idleTimeoutMs > 0) idle = setTimeout(() => session.close(), limits.idleTimeoutMs).unref();
  };
  becomeIdle();
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(idle);
    stream.once("close", () => {
      open--;
      if (open === 0 && !session.closed) becomeIdle();
    });
  });
  const keepalive =
    limits.keepaliveIntervalMs > 0
      ? setInterval(() => {
          if (open === 0 || session.closed || session.destroyed) return;
          const deadline = setTimeout(() => session.destroy(), limits.keepaliveTimeoutMs).unref();
          const sent = session.ping((err) => {
            if (!err) clearTimeout(deadline); // an error means the session is gone already
          });
          if (!sent) clearTimeout(deadline); // too many pings outstanding: the earlier ones decide
        }, limits.keepaliveIntervalMs).unref()
      : undefined;
  session.once("close", () => {
    clearTimeout(idle);
    clearInterval(keepalive);
  });
}
