import { type Backend, KEY_PAGE } from "../backend/backend.js";
import { type ListOptions, planListing } from "./listing.js";
import type { Entry } from "./store-write.js";
import { dueRange, parseExpiryKey } from "./system-keys.js";

// Due expiry index entries a key listing reads up front; with more (a sweep far behind), it
// reads each record's expiry instead.
const MAX_DUE = 10_000;

/** What a key listing reads: the namespace's view, the whole backend (for the expiry index), the clock. */
export interface KeyListingSource {
  readonly namespace: string;
  readonly view: Backend;
  readonly backend: Backend;
  readonly now: number;
  readonly maxKeyBytes: number;
  /** The record-reading listing, for when the expiry index has too many due entries. */
  entries(options: ListOptions): AsyncIterable<Entry>;
}

/**
 * The live keys of a listing, in pages, without reading a single record: the
 * backend's key-only scan, minus the keys whose expiry is due (read from the
 * expiry index, which holds an entry for every record with a TTL, written in
 * the same atomic write as the record). Keys are live as of the listing's
 * start: one that expires while the listing runs may still be listed, as a
 * key deleted meanwhile may be.
 */
export async function* keyPages(source: KeyListingSource, options: ListOptions): AsyncGenerator<string[]> {
  const expired = await dueKeys(source);
  if (!expired) {
    yield* pagesOf(source.entries(options));
    return;
  }
  const { ranges, matches } = planListing(options, source.maxKeyBytes);
  const limit = options.limit || Number.POSITIVE_INFINITY;
  const signal = options.signal ? { signal: options.signal } : {};
  let count = 0;
  for (const range of ranges) {
    for await (const keys of source.view.scanKeys({ ...range, ...signal })) {
      const page: string[] = [];
      for (const key of keys) {
        if (count >= limit) break;
        if (expired.has(key) || !matches(key)) continue;
        page.push(key);
        count++;
      }
      if (page.length > 0) yield page;
      if (count >= limit) return;
    }
  }
}

/** The namespace's keys whose expiry is due, or undefined when the index holds too many due entries. */
async function dueKeys(source: KeyListingSource): Promise<Set<string> | undefined> {
  const due = new Set<string>();
  let seen = 0;
  for await (const raws of source.backend.scanKeys({ ...dueRange(source.now), limit: MAX_DUE + 1 })) {
    seen += raws.length;
    if (seen > MAX_DUE) return undefined;
    for (const raw of raws) {
      const { namespace, key } = parseExpiryKey(raw);
      if (namespace === source.namespace) due.add(key);
    }
  }
  return due;
}

async function* pagesOf(entries: AsyncIterable<Entry>): AsyncGenerator<string[]> {
  let page: string[] = [];
  for await (const entry of entries) {
    page.push(entry.key);
    if (page.length >= KEY_PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
