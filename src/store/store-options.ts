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
   * The clock, in milliseconds since the epoch; tests replace it.
   * @default Date.now
   */
  readonly now: () => number;
}

export const defaultStoreOptions: StoreOptions = Object.freeze({
  defaultTtlMs: 0,
  storeNoneValues: true,
  maxKeyBytes: 1024,
  sweepIntervalMs: 1000,
  now: Date.now,
});

export function resolveStoreOptions(options: Partial<StoreOptions> = {}): StoreOptions {
  const resolved = { ...defaultStoreOptions, ...options };
  if (!(resolved.defaultTtlMs >= 0)) throw new RangeError("defaultTtlMs must be 0 or more");
  if (!(resolved.maxKeyBytes >= 1)) throw new RangeError("maxKeyBytes must be at least 1");
  if (!(resolved.sweepIntervalMs >= 0)) throw new RangeError("sweepIntervalMs must be 0 or more");
  return resolved;
}
