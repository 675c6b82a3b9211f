import type { AccessNeed } from "../auth/auth.js";
import type { HandlerContext } from "../handlers/handler-context.js";
import type { HttpHandler, HttpRequest } from "../http-types.js";
import {
  type AnystoreRequest,
  deleteValue,
  getValue,
  headValue,
  listKeys,
  putValue,
  touchValue,
} from "./anystore-routes.js";
import { HttpError, sendError } from "./http-errors.js";
import { queryKeys } from "./putfs-listing.js";

/** Settings of the anystore-compatible HTTP API. */
export interface AnystoreHttpOptions {
  /**
   * Path the API is served under, e.g. "/anystore": `anystore+http://host:port/anystore`.
   * @default "/anystore"
   */
  readonly prefix: string;
  /**
   * The namespace the API reads and writes.
   * @default ""
   */
  readonly namespace?: string;
  /**
   * Largest PUT body in bytes when it must be read whole (a default model applies: the body is
   * JSON to validate); 413 beyond it. Other bodies stream into chunked storage, of any size.
   * @default 4194304
   */
  readonly maxBodyBytes?: number;
  /**
   * The server's base URL as the request should see it (reported in x-anystore-store).
   * @default "http://localhost"
   */
  readonly baseUrl?: (req: HttpRequest) => string;
  /**
   * Checks that a request may read or write the API's namespace (auth/auth.ts checkAccess);
   * throws UNAUTHENTICATED (401) or ACCESS_DENIED (403). Absent: everyone may.
   */
  readonly authorize?: ((req: HttpRequest, need: AccessNeed) => void) | undefined;
  /** Called with errors that are answered as 500 "internal error" (the server logs them). */
  readonly onInternal: (err: unknown) => void;
}

/** The HTTP API as a (req, res) handler, and the test the server uses to route to it. */
export interface AnystoreHttp {
  /** Whether a request path belongs to the API (the prefix, or below it). */
  matches(url: string): boolean;
  readonly handle: HttpHandler;
}

/**
 * anystore's HTTP API over the Store, in both of its dialects: anystore 1.2's
 * (anystore/api/routes.py, spoken by its `anystore+http://` filesystem) and putfs's
 * (anystore 1.5's `putfs://`, putfs/api.py): GET/HEAD/PUT/DELETE/PATCH on /{key}, key
 * listing on /{prefix}/ by GET (1.2) or QUERY (putfs). Writes go through gRPC's value
 * pipeline (`pipeline`), so keys, models and every other check apply as over gRPC.
 */
export function createAnystoreHttp(pipeline: HandlerContext, options: AnystoreHttpOptions): AnystoreHttp {
  const { store } = pipeline;
  const prefix = options.prefix;
  const namespace = options.namespace ?? "";
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const onInternal = options.onInternal;
  const pathOf = (url: string) => url.split("?", 1)[0] ?? "";
  return {
    matches(url) {
      const path = pathOf(url);
      return path === prefix || path.startsWith(`${prefix}/`);
    },
    async handle(req, res) {
      const abort = new AbortController();
      const onClose = () => abort.abort();
      res.once("close", onClose);
      try {
        options.authorize?.(req, { access: READS.has(req.method ?? "") ? "read" : "write", namespace });
        const url = req.url ?? "/";
        const query = new URLSearchParams(url.slice(pathOf(url).length + 1));
        const r: AnystoreRequest = {
          store,
          pipeline,
          namespace,
          path: decodePath(pathOf(url).slice(prefix.length).replace(/^\//, "")),
          query,
          req,
          res,
          storeUrl: `${options.baseUrl?.(req) ?? "http://localhost"}${prefix}`,
          maxBodyBytes,
          signal: abort.signal,
        };
        await route(r);
      } catch (err) {
        sendError(res, err, onInternal);
      } finally {
        res.off("close", onClose);
      }
    },
  };
}

/** Methods that only read; every other one (PUT, DELETE, PATCH, and unknown ones) needs write. */
const READS = new Set(["GET", "HEAD", "QUERY", "OPTIONS"]);

const OBJECT_METHODS = "GET, HEAD, PUT, DELETE, PATCH";
const LISTING_METHODS = "GET, QUERY";

/**
 * A path ending in `/` (or the API's root) lists keys: GET (anystore 1.2's HTTP API) or QUERY
 * (putfs, anystore 1.5's); HEAD there is 404, as anystore answers for a directory. Any other
 * path is a key.
 */
function route(r: AnystoreRequest): Promise<void> {
  const listing = r.path === "" || r.path.endsWith("/");
  const method = r.req.method ?? "";
  if (listing) {
    if (method === "GET") return listKeys(r);
    if (method === "QUERY") return queryKeys(r);
    if (method === "HEAD") return notFound(r);
    throw notAllowed(method, "a path ending in / lists keys", LISTING_METHODS);
  }
  switch (method) {
    case "GET":
      return getValue(r);
    case "HEAD":
      return headValue(r);
    case "PUT":
      return putValue(r);
    case "DELETE":
      return deleteValue(r);
    case "PATCH":
      return touchValue(r);
    default:
      throw notAllowed(method, "a key", OBJECT_METHODS);
  }
}

function notAllowed(method: string, what: string, allow: string): HttpError {
  return new HttpError(405, `method ${method} is not served on ${what}: use ${allow}`, { Allow: allow });
}

async function notFound(r: AnystoreRequest): Promise<void> {
  r.res.statusCode = 404;
  r.res.end();
}

/** Percent-decodes the path. Dot segments are kept, so that the key rules refuse `..`. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new HttpError(400, `the path "${path}" is not valid percent-encoding`);
  }
}
