import { createHash } from "node:crypto";
import { AnykvError } from "../../errors.js";
import { entrySize, type Store } from "../../store/store.js";
import { CHECKSUM_NAMES } from "../checksum-algorithms.js";
import type { HandlerContext } from "../handlers/handler-context.js";
import type { HttpRequest, HttpResponse } from "../http-types.js";
import { parseByteRange } from "./byte-range.js";
import { statHeaders } from "./stat-headers.js";
import { utcNow } from "./utc-now.js";

/** What one request of the HTTP API works on. */
export interface AnystoreRequest {
  readonly store: Store;
  /** The value pipeline gRPC's handlers use: writes get the same checks (models, code, limits). */
  readonly pipeline: HandlerContext;
  readonly namespace: string;
  /** The decoded path below the API's prefix, without the leading "/". */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly req: HttpRequest;
  readonly res: HttpResponse;
  /** The API's own base URL, reported as x-anystore-store. */
  readonly storeUrl: string;
  readonly maxBodyBytes: number;
  readonly signal: AbortSignal;
}

/** GET /{key}: the stored bytes, or one byte range of them (206). */
export async function getValue(r: AnystoreRequest): Promise<void> {
  const entry = await found(r);
  const headers = statHeaders(entry, r.storeUrl);
  const rangeHeader = r.req.headers.range;
  const size = entrySize(entry);
  let [offset, length] = [0, size];
  if (rangeHeader !== undefined) {
    const { start, end } = parseByteRange(rangeHeader, size);
    [offset, length] = [start, end + 1 - start];
    headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    headers["Content-Length"] = String(length);
    r.res.statusCode = 206;
  }
  if (!entry.meta.chunks) {
    send(r.res, headers, entry.value.subarray(offset, offset + length));
    return;
  }
  // A value stored in chunks (Upload) goes out chunk by chunk, as fast as the client reads; a
  // client that goes away ends the read (a wait for "drain" alone would never end).
  for (const [name, value] of Object.entries(headers)) r.res.setHeader(name, value);
  for await (const chunk of r.store.chunks(entry, offset, length)) {
    if (!r.res.write(chunk)) await drained(r.res);
    if (r.signal.aborted) return;
  }
  r.res.end();
}

/** HEAD /{key}: the headers of GET; with ?checksum=true also x-anystore-checksum. */
export async function headValue(r: AnystoreRequest): Promise<void> {
  const entry = await r.store.get(r.namespace, r.path);
  if (!entry) {
    r.res.statusCode = 404;
    r.res.end();
    return;
  }
  const headers = statHeaders(entry, r.storeUrl);
  if (isTrue(r.query.get("checksum"))) {
    const algorithm = (r.query.get("algorithm") || "sha256").toLowerCase();
    if (!CHECKSUM_NAMES.has(algorithm)) {
      throw new AnykvError(
        "INVALID_ARGUMENT",
        `unknown checksum algorithm "${algorithm}"; use one of ${[...CHECKSUM_NAMES].join(", ")}`,
      );
    }
    const hash = createHash(algorithm);
    for await (const chunk of r.store.chunks(entry)) hash.update(chunk);
    headers["x-anystore-checksum"] = hash.digest("hex");
  }
  send(r.res, headers);
}

/**
 * PUT /{key}: stores the body as bytes without kind metadata (codec and kind
 * empty), like data imported from anystore; gRPC reads in auto mode guess what
 * it is (and never as code). The body streams into the store as it arrives
 * (store.upload: chunks beyond one chunk's size, so memory stays bounded
 * whatever its size; nothing is visible before its end, and a body cut short
 * stores nothing). With a default model, the body must be JSON that fits it, as
 * over gRPC, so it is read whole, up to maxBodyBytes. 201, as anystore answers.
 */
export async function putValue(r: AnystoreRequest): Promise<void> {
  const key = r.store.key(r.path); // a bad key is refused before the body is read
  if (r.pipeline.importsWhole) {
    const value = await readBody(r.req, r.maxBodyBytes, key);
    await r.store.put(r.namespace, key, r.pipeline.encodeImported(key, value));
  } else {
    await r.store.upload(r.namespace, key, bodyBytes(r), { contentType: "", imported: true });
  }
  r.res.statusCode = 201;
  r.res.end();
}

/** The request body as bytes; a client that goes away before its end is UNAVAILABLE (nothing stored). */
async function* bodyBytes(r: AnystoreRequest): AsyncGenerator<Uint8Array> {
  for await (const chunk of r.req) {
    yield typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
  }
  if (r.signal.aborted || !r.req.complete) {
    throw new AnykvError("UNAVAILABLE", "the request body broke off before its end; nothing was stored");
  }
}

/** DELETE /{key}: 204, or 404 when there was nothing to delete (anystore's answers). */
export async function deleteValue(r: AnystoreRequest): Promise<void> {
  const { deleted } = await r.store.delete(r.namespace, r.path);
  r.res.statusCode = deleted ? 204 : 404;
  r.res.end();
}

/**
 * PATCH /{key}: anystore's touch. Stores the current UTC time as gRPC's Touch
 * does (a pickled aware datetime that Python reads natively) and answers it in
 * ISO 8601, as Python's datetime.isoformat() prints it.
 */
export async function touchValue(r: AnystoreRequest): Promise<void> {
  const now = utcNow(r.store.options.now());
  await r.pipeline.write(r.namespace, r.path, { kind: "data", data: now.data }, "auto");
  send(r.res, { "Content-Type": "text/plain; charset=utf-8" }, Buffer.from(now.iso));
}

/**
 * GET /{prefix}/ (and GET / for everything): the keys below the prefix,
 * relative to it, one a line, streamed as the store yields them.
 * `exclude_prefix` is relative to the listed prefix, `glob` matches the key
 * relative to it (anystore's parameters; anykv's segment semantics).
 */
export async function listKeys(r: AnystoreRequest): Promise<void> {
  const prefix = r.path.replace(/\/+$/, "");
  const exclude = r.query.get("exclude_prefix");
  const glob = r.query.get("glob");
  const keys = r.store.keys(r.namespace, {
    prefix,
    ...(exclude ? { excludePrefix: prefix ? `${prefix}/${exclude.replace(/^\/+/, "")}` : exclude } : {}),
    ...(glob ? { glob } : {}),
    signal: r.signal,
  });
  const strip = prefix ? prefix.length + 1 : 0;
  let started = false;
  for await (const key of keys) {
    if (!started) {
      r.res.statusCode = 200;
      r.res.setHeader("Content-Type", "application/octet-stream");
      started = true;
    }
    if (!r.res.write(`${key.slice(strip)}\n`)) await drained(r.res);
  }
  if (!started) {
    r.res.statusCode = 200;
    r.res.setHeader("Content-Type", "application/octet-stream");
  }
  r.res.end();
}

/** The live entry under the request's key; 404 with anystore's detail when missing. */
async function found(r: AnystoreRequest) {
  const entry = await r.store.get(r.namespace, r.path);
  if (!entry) throw new AnykvError("NOT_FOUND", `key "${r.store.key(r.path)}" does not exist`);
  return entry;
}

function send(res: HttpResponse, headers: Record<string, string>, body?: Uint8Array): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader("Content-Length", body.length);
  res.end(body);
}

async function readBody(req: HttpRequest, max: number, key: string): Promise<Uint8Array> {
  const length = Number(req.headers["content-length"] ?? 0);
  const tooLarge = () =>
    new AnykvError(
      "LIMIT_EXCEEDED",
      `the value for key "${key}" is larger than ${max} bytes; raise --max-message-bytes to store it`,
    );
  if (length > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    size += bytes.length;
    if (size > max) throw tooLarge();
    chunks.push(bytes);
  }
  return new Uint8Array(Buffer.concat(chunks, size));
}

/** Resolves when the response can take more (or the client went away). */
export function drained(res: HttpResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Python/FastAPI booleans: true, 1, yes, on. */
function isTrue(value: string | null): boolean {
  return value !== null && ["true", "1", "yes", "on"].includes(value.toLowerCase());
}
