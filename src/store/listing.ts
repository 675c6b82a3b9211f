import type { ScanRange } from "../backend/backend.js";
import { compareKeys } from "../backend/key-order.js";
import { prefixEnd } from "../backend/prefixed-backend.js";
import { compileGlob } from "./glob.js";
import { isUnderPrefix, normalizePrefix } from "./keys.js";

/** Which keys a listing (or DeletePrefix) selects. */
export interface ListFilter {
  /** Path-segment prefix: "foo" selects "foo" and "foo/…", never "food". */
  readonly prefix?: string;
  /** Leaves out this path-segment prefix. */
  readonly excludePrefix?: string;
  /** Glob on the key relative to the prefix. */
  readonly glob?: string;
}

export interface ListOptions extends ListFilter {
  /** 0 or undefined: no limit. */
  readonly limit?: number;
  /** Descending key order. */
  readonly reverse?: boolean;
  /** Start after this key (exclusive), in the listing's order: the cursor of the next page. */
  readonly startAfter?: string;
  readonly signal?: AbortSignal;
}

/** A compiled listing: the backend ranges to scan, in listing order, and the filter on their keys. */
export interface ListPlan {
  readonly ranges: readonly ScanRange[];
  readonly matches: (key: string) => boolean;
}

export function planListing(options: ListOptions, maxKeyBytes: number): ListPlan {
  const prefix = normalizePrefix(options.prefix ?? "", maxKeyBytes);
  const exclude = options.excludePrefix ? normalizePrefix(options.excludePrefix, maxKeyBytes) : "";
  const glob = options.glob ? compileGlob(options.glob) : undefined;
  const matches = (key: string) =>
    isUnderPrefix(key, prefix) &&
    !(exclude !== "" && isUnderPrefix(key, exclude)) &&
    // A glob matches the path below the prefix, so the key equal to the prefix (an empty
    // path) is never one of its matches, as in a file system glob under a directory.
    (!glob || (key !== prefix && glob(prefix === "" ? key : key.slice(prefix.length + 1))));
  // `prefix` itself sorts before everything below it ("foo" < "foo/…"), so it is its own range.
  const ranges: ScanRange[] =
    prefix === ""
      ? [{}]
      : [
          { gte: prefix, lt: `${prefix}\u0000` },
          { gte: `${prefix}/`, ...bound(prefixEnd(`${prefix}/`)) },
        ];
  const reverse = options.reverse ?? false;
  if (reverse) ranges.reverse();
  const after = options.startAfter;
  const clamped = after ? ranges.map((r) => clamp(r, after, reverse)).filter(nonEmpty) : ranges;
  return { ranges: clamped.map((r) => ({ ...r, reverse })), matches };
}

/** Narrows a range to the keys after `after` in listing order (before it when reversed). */
function clamp(range: ScanRange, after: string, reverse: boolean): ScanRange {
  if (reverse) {
    const lt = range.lt === undefined || compareKeys(after, range.lt) < 0 ? after : range.lt;
    return { ...range, lt };
  }
  // The smallest string greater than `after` is `after` + NUL.
  const next = `${after}\u0000`;
  const gte = range.gte === undefined || compareKeys(next, range.gte) > 0 ? next : range.gte;
  return { ...range, gte };
}

function nonEmpty(range: ScanRange): boolean {
  return range.gte === undefined || range.lt === undefined || compareKeys(range.gte, range.lt) < 0;
}

function bound(lt: string): { lt?: string } {
  return lt === "" ? {} : { lt };
}
