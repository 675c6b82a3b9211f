import http, { type IncomingHttpHeaders } from "node:http";
import type http2 from "node:http2";
import type net from "node:net";
import { parseListenAddress } from "../server-options.js";
import type { Logger } from "./logger.js";
import { METRICS_CONTENT_TYPE, type Metrics } from "./metrics.js";

/**
 * Whether a GET /metrics on the main port may be answered, from its headers. With auth on, the
 * auth module answers (an admin token is needed); without a check, everyone may read it.
 */
export type MetricsAccess = (headers: IncomingHttpHeaders) => "allowed" | "unauthenticated" | "forbidden";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** The path Prometheus scrapes. */
export const METRICS_PATH = "/metrics";

/** Answers GET (and HEAD) /metrics with the Prometheus text; other methods 405, refused access 401/403. */
export function serveMetrics(
  metrics: Metrics,
  access: MetricsAccess | undefined,
  logger: Logger,
): (req: NodeRequest, res: NodeResponse) => void {
  return (req, res) => {
    const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
      res.end(`${text}\n`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return plain(405, "use GET", { allow: "GET, HEAD" });
    const allowed = access?.(req.headers) ?? "allowed";
    if (allowed === "unauthenticated")
      return plain(401, "metrics need an admin token (authorization: Bearer TOKEN)", {
        "www-authenticate": "Bearer",
      });
    if (allowed === "forbidden") return plain(403, "metrics need a token with admin access");
    metrics.text().then(
      (text) => {
        res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE });
        if (req.method === "HEAD") res.end();
        else res.end(text);
      },
      (err: unknown) => {
        logger.error({ err }, "metrics could not be collected");
        plain(500, "internal error");
      },
    );
  };
}

/** A listener of its own for /metrics (--metrics-listen). */
export interface MetricsListener {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves /metrics, and nothing else, on `address` ("HOST:PORT"; port 0 picks a free one). */
export async function listenMetrics(
  address: string,
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<MetricsListener> {
  const where = parseListenAddress(address);
  if (!where)
    throw new RangeError(`invalid configuration: metrics listen address "${address}" is not HOST:PORT`);
  const server = http.createServer((req, res) => {
    if ((req.url ?? "").split("?", 1)[0] === METRICS_PATH) handle(req, res);
    else {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(`not found: this listener serves ${METRICS_PATH} only\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(where.port, where.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
