import { cors as connectCors } from "@connectrpc/connect";
import type { HttpRequest, HttpResponse } from "./http-types.js";

/** Headers browser code may send beyond Connect's own: byte ranges for the anystore HTTP API. */
const EXTRA_ALLOWED_HEADERS = ["Range", "Authorization"];

/** Headers browser code may read beyond Connect's own: the anystore API's. */
const EXTRA_EXPOSED_HEADERS = [
  "Content-Range",
  "Accept-Ranges",
  "Content-Length",
  "ETag",
  "Last-Modified",
  ...["name", "created-at", "updated-at", "size", "store", "key", "mimetype", "checksum"].map(
    (field) => `x-anystore-${field}`,
  ),
];

const ALLOWED_METHODS = [
  ...new Set([...connectCors.allowedMethods, "GET", "HEAD", "PUT", "DELETE", "PATCH"]),
];

/** Answers CORS for browser callers; built by createCors from the allowed origins. */
export type CorsHandler = (req: HttpRequest, res: HttpResponse) => "preflight-answered" | "continue";

/**
 * CORS for gRPC-Web, Connect and the anystore HTTP API, with the header lists
 * that @connectrpc/connect's `cors` constants give (plus anykv's own). `origins`
 * are exact origins ("https://app.example.com") or "*" for any; an empty list
 * turns CORS off (no handler). Preflights are answered here; other requests get
 * Access-Control-Allow-Origin and pass on.
 */
export function createCors(origins: readonly string[]): CorsHandler | undefined {
  if (origins.length === 0) return undefined;
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (origin === undefined) return "continue";
    res.setHeader("Vary", "Origin");
    if (!any && !allowed.has(origin)) {
      if (!preflight) return "continue";
      const body = `origin ${origin} may not call this server; start it with --cors-origin ${origin} (or ANYKV_CORS_ORIGINS)\n`;
      res.statusCode = 403;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(body);
      return "preflight-answered";
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    if (!preflight) {
      res.setHeader(
        "Access-Control-Expose-Headers",
        [...connectCors.exposedHeaders, ...EXTRA_EXPOSED_HEADERS].join(", "),
      );
      return "continue";
    }
    res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS.join(", "));
    res.setHeader(
      "Access-Control-Allow-Headers",
      [...connectCors.allowedHeaders, ...EXTRA_ALLOWED_HEADERS].join(", "),
    );
    res.setHeader("Access-Control-Max-Age", "7200");
    res.statusCode = 204;
    res.end();
    return "preflight-answered";
  };
}
