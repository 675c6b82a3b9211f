import { entrySize } from "../../store/store.js";
import type { HttpRequest } from "../http-types.js";
import { type AnystoreRequest, drained } from "./anystore-routes.js";
import { HttpError } from "./http-errors.js";

/** What a putfs QUERY asks for: its body `<depth> [dirs] [stat]` (no body: every key). */
export interface ListingQuery {
  /** Keys at most this many segments below the listed prefix; undefined: all. */
  readonly depth?: number;
  /** Also the directories where the depth stops, as `dir/`. */
  readonly dirs: boolean;
  /** Each line `<size> <mtime_ns> <key>`. */
  readonly stat: boolean;
}

// putfs's grammar (putfs/api.py), ASCII digits only.
const BODY = /^([+-]?[0-9]+)(?:[ \t\r\n]+(dirs))?(?:[ \t\r\n]+(stat))?$/;
const MAX_BODY = 64;

/** Reads and checks a QUERY body as putfs does: 415 for a body that is not text/plain, 400 for a bad one. */
export async function readListingQuery(req: HttpRequest): Promise<ListingQuery> {
  const mediaType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "" && mediaType !== "text/plain") {
    throw new HttpError(415, `a QUERY body is text/plain ("<depth> [dirs] [stat]"), not ${mediaType}`);
  }
  let body = "";
  for await (const chunk of req) {
    body += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("latin1");
    if (body.length > MAX_BODY) throw new HttpError(400, `a QUERY body is at most ${MAX_BODY} bytes`);
  }
  if (body === "") return { dirs: false, stat: false };
  if (mediaType === "") throw new HttpError(415, "a QUERY body needs Content-Type: text/plain");
  const match = BODY.exec(body.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ""));
  if (!match) {
    throw new HttpError(400, 'the QUERY body must be a depth, optionally followed by "dirs" and/or "stat"');
  }
  return { depth: Number(match[1]), dirs: match[2] !== undefined, stat: match[3] !== undefined };
}

/** Keys skipped below one directory before the listing seeks past it instead of reading on. */
const SKIP_BEFORE_SEEK = 32;

/**
 * QUERY /{prefix}/ (putfs, anystore 1.5's HTTP stores): the keys below the prefix, relative
 * to it, one a line, streamed as the store yields them. With a depth N, only keys of at most
 * N segments (a depth below 1 lists as 1, without directories); `dirs` adds each directory
 * where the depth stops, once, as `dir/`; `stat` prefixes each line with `<size> <mtime_ns> `
 * (a directory's: 0 and the time of the first key found in it). A directory whose keys are
 * too deep to list is skipped by seeking past it (a new scan from after its last possible
 * key), so a shallow listing does not read a deep tree.
 */
export async function queryKeys(r: AnystoreRequest): Promise<void> {
  const query = await readListingQuery(r.req);
  const prefix = r.path.replace(/\/+$/, "");
  const depth = query.depth === undefined ? Number.POSITIVE_INFINITY : Math.max(query.depth, 1);
  const dirs = query.dirs && (query.depth ?? 0) >= 1;
  const strip = prefix ? prefix.length + 1 : 0;
  r.res.statusCode = 200;
  r.res.setHeader("Content-Type", "application/octet-stream");
  // Keys below one directory are contiguous in key order: naming each once needs no set.
  let lastDir = "";
  let skipped = 0;
  let after: string | undefined;
  scans: for (;;) {
    const from = after === undefined ? {} : { startAfter: after };
    const options = { prefix, signal: r.signal, ...from };
    // Without stat the keys alone do (the store lists them without reading records).
    const listed = query.stat
      ? r.store.entries(r.namespace, options)
      : keysOnly(r.store.keys(r.namespace, options));
    for await (const entry of listed) {
      if (entry.key === prefix) continue; // the prefix itself is no key below it
      const relative = entry.key.slice(strip);
      const segments = relative.split("/");
      let line = relative;
      let size = entry.meta ? entrySize(entry) : 0;
      if (segments.length > depth) {
        const dir = `${segments.slice(0, depth).join("/")}/`;
        if (dir === lastDir) {
          if (++skipped < SKIP_BEFORE_SEEK) continue;
          // U+10FFFF is the largest code point: every key below `dir` but those that start
          // with it sorts before; those are skipped again as this directory's.
          after = `${entry.key.slice(0, strip)}${dir}\u{10FFFF}`;
          skipped = 0;
          continue scans;
        }
        lastDir = dir;
        skipped = 0;
        if (!dirs) continue;
        line = dir;
        size = 0;
      }
      const out = entry.meta ? `${size} ${BigInt(entry.meta.updatedAt) * 1_000_000n} ${line}\n` : `${line}\n`;
      if (!r.res.write(out)) await drained(r.res);
    }
    break;
  }
  r.res.end();
}

async function* keysOnly(keys: AsyncIterable<string>): AsyncGenerator<{ key: string; meta?: undefined }> {
  for await (const key of keys) yield { key };
}
