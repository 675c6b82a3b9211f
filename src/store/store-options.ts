import type { BackgroundReports } from "./background-tasks.js";
import { MAX_TTL_MS } from "./store-write.js";

/** Settings of a Store. Every field has a default; see resolveStoreOptions. */
export interface StoreOptions {
  /**
   * Time to live of keys put without one, in milliseconds; 0 means never expire.
   * @default 0
   */
  readonly defaultTtlMs: number;
  /**
   * Store null values. When false, a put of null is skipped (anystore's store_none_values).
   * @default true
   */
  readonly storeNoneValues: boolean;
  /**
   * Longest key, in UTF-8 bytes.
   * @default 1024
   */
  readonly maxKeyBytes: number;
  /**
   * How often expired keys are removed in the background, in milliseconds; 0 turns the sweeper off.
   * Expired keys are invisible at once either way.
   * @default 1000
   */
  readonly sweepIntervalMs: number;
  /**
   * Size of the chunks that values larger than one chunk are stored in (Upload), in bytes.
   * Smaller uploads are stored whole, like a Put.
   * @default 1048576 (1 MiB)
   */
  readonly chunkBytes: number;
  /**
   * Most events the change log keeps for watchers that resume (--watch-retention); the
   * server holding the maintenance lease compacts the log past older ones.
   * @default 10000
   */
  readonly watchRetentionEvents: number;
  /**
   * Oldest change log entry kept, in milliseconds (--watch-retention-age).
   * @default 3600000 (1 hour)
   */
  readonly watchRetentionMs: number;
  /**
   * Most bytes of change log entries kept (their values included).
   * @default 67108864 (64 MiB)
   */
  readonly watchRetentionBytes: number;
  /**
   * A watch that was sent nothing for this long while other keys changed gets a progress
   * notification, so that its resume point moves on (etcd's progress_notify); 0 for none.
   * @default 10000
   */
  readonly watchProgressMs: number;
  /**
   * Most bytes of events one live watch may have waiting to be read; a watch further behind ends
   * with LIMIT_EXCEEDED naming the revision to resume from (--max-stream-buffer-bytes).
   * @default 4194304 (4 MiB)
   */
  readonly watchBufferBytes: number;
  /**
   * The clock, in milliseconds since the epoch; tests replace it.
   * @default Date.now
   */
  readonly now: () => number;
  /**
   * Told of background failures (each retried with backoff) and of sweeps; the server logs and
   * counts them.
   * @default process warnings (stderr) for failures
   */
  readonly reports?: BackgroundReports | undefined;
}

export const defaultStoreOptions: StoreOptions = Object.freeze({
  defaultTtlMs: 0,
  storeNoneValues: true,
  maxKeyBytes: 1024,
  sweepIntervalMs: 1000,
  chunkBytes: 1024 * 1024,
  watchRetentionEvents: 10_000,
  watchRetentionMs: 3_600_000,
  watchRetentionBytes: 64 * 1024 * 1024,
  watchBufferBytes: 4 * 1024 * 1024,
  watchProgressMs: 10_000,
  now: Date.now,
});

export function resolveStoreOptions(options: Partial<StoreOptions> = {}): StoreOptions {
  const resolved = { ...defaultStoreOptions, ...options };
  if (!(resolved.defaultTtlMs >= 0 && resolved.defaultTtlMs <= MAX_TTL_MS))
    throw new RangeError("defaultTtlMs must be 0 or more, and at most 10000 years");
  if (!(resolved.maxKeyBytes >= 1)) throw new RangeError("maxKeyBytes must be at least 1");
  if (!(resolved.sweepIntervalMs >= 0)) throw new RangeError("sweepIntervalMs must be 0 or more");
  if (!(Number.isInteger(resolved.chunkBytes) && resolved.chunkBytes >= 1))
    throw new RangeError("chunkBytes must be a positive integer");
  if (!(resolved.watchRetentionEvents >= 0)) throw new RangeError("watchRetentionEvents must be 0 or more");
  if (!(resolved.watchRetentionMs >= 0)) throw new RangeError("watchRetentionMs must be 0 or more");
  if (!(resolved.watchRetentionBytes >= 0)) throw new RangeError("watchRetentionBytes must be 0 or more");
  if (!(resolved.watchBufferBytes >= 1)) throw new RangeError("watchBufferBytes must be at least 1");
  if (!(resolved.watchProgressMs >= 0)) throw new RangeError("watchProgressMs must be 0 or more");
  return resolved;
}
