import type { HttpRequest, HttpResponse } from "./http-types.js";

/**
 * The Host check against DNS rebinding (`--allowed-hosts`): built by createHostCheck from the
 * allowed names; "refused" when it has answered the request itself.
 */
export interface HostCheck {
  /** `api` says how to refuse: in the RPC protocols, or as plain HTTP (the anystore API). */
  (req: HttpRequest, res: HttpResponse, api: "rpc" | "http"): "refused" | "continue";
  /** The request's Host once checked (lowercase), for URLs the server reports about itself. */
  host(req: HttpRequest): string;
  /** Whether a request with these headers passes, without answering it (the gRPC fast path asks). */
  allows(headers: HttpRequest["headers"]): boolean;
}

/**
 * Refuses requests whose Host header (HTTP/2 `:authority`) is not one of `allowed`: entries are
 * host names or addresses, matching any port ("localhost", "127.0.0.1", "[::1]"), `name:port`
 * matching that port only, or ".example.com" for the name and every subdomain. An empty list
 * turns the check off (no handler). Refusals name the flag: RPCs get PERMISSION_DENIED in their
 * own protocol (a gRPC or gRPC-Web trailers-only answer, Connect's JSON error with HTTP 403);
 * other requests (the anystore API, CORS preflights) get HTTP 421 Misdirected Request.
 */
export function createHostCheck(allowed: readonly string[]): HostCheck | undefined {
  if (allowed.length === 0) return undefined;
  const entries = allowed.map((entry) => entry.trim().toLowerCase());
  const matches = (host: string) => {
    const name = host.replace(/:\d+$/, "");
    return entries.some((entry) =>
      entry.startsWith(".")
        ? name === entry.slice(1) || name.endsWith(entry)
        : entry === host || entry === name,
    );
  };
  const hostOf = (req: Pick<HttpRequest, "headers">) => {
    const value = req.headers[":authority"] ?? req.headers.host;
    return typeof value === "string" ? value.toLowerCase() : "";
  };
  const check = (req: HttpRequest, res: HttpResponse, api: "rpc" | "http") => {
    const host = hostOf(req);
    if (host !== "" && matches(host)) return "continue";
    refuse(req, res, host, api);
    return "refused";
  };
  const allows = (headers: HttpRequest["headers"]) => {
    const host = hostOf({ headers });
    return host !== "" && matches(host);
  };
  return Object.assign(check, { host: hostOf, allows });
}

function refuse(req: HttpRequest, res: HttpResponse, host: string, api: "rpc" | "http"): void {
  const message = `${host ? `host "${host}"` : "a request without a Host header"} is not served here; the server answers only the hosts of --allowed-hosts (ANYKV_ALLOWED_HOSTS)`;
  const type = String(req.headers["content-type"] ?? "");
  if (api === "rpc" && type.startsWith("application/grpc")) {
    // Trailers-only: the status in the headers, as gRPC and gRPC-Web clients read it.
    res.statusCode = 200;
    res.setHeader("Content-Type", type);
    res.setHeader("grpc-status", "7");
    res.setHeader("grpc-message", encodeURIComponent(message));
    res.end();
    return;
  }
  // Connect's error JSON (HTTP 403 is permission_denied to every Connect client); FastAPI's otherwise.
  const rpc = api === "rpc" && req.method !== "OPTIONS";
  const body = JSON.stringify(rpc ? { code: "permission_denied", message } : { detail: message });
  res.statusCode = rpc ? 403 : 421;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

/**
 * Answers 400 to a request without a Host header (HTTP/1.0 allows that) and says so: connect-node
 * cannot build a request URL without one, and throws where nothing catches it. True when answered.
 */
export function answeredWithoutHost(req: HttpRequest, res: HttpResponse): boolean {
  if (req.headers.host !== undefined || req.headers[":authority"] !== undefined) return false;
  const body = JSON.stringify({ code: "invalid_argument", message: "the request has no Host header" });
  res.statusCode = 400;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
  return true;
}
