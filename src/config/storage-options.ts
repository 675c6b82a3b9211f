import { parseBackendSpec } from "../backend/open-backend.js";
import { MAX_TTL_MS } from "../store/store-write.js";
import { option, optionGroup } from "./option.js";
import { bytes, duration, nonEmpty, oneOf, text } from "./option-kinds.js";

/** Where and how the data is kept. */
export const storageOptions = optionGroup("Storage", {
  /**
   * Storage backend: `leveldb:PATH` (embedded, persistent; plain `leveldb` uses `data`),
   * `memory:` (lost at exit), `redis://…` / `rediss://…` or `postgres://…` (shared by several
   * anykv servers). See src/backend/open-backend.ts.
   */
  backend: option({
    flag: "backend",
    kind: text("URL", (value) => {
      try {
        parseBackendSpec(value);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    }),
    default: "leveldb",
    help: "leveldb:PATH, memory:, redis://…, rediss://… or postgres://… (leveldb: --data)",
  }),
  /** LevelDB data directory; created when missing. */
  data: option({
    flag: "data",
    kind: text("DIR", nonEmpty),
    default: "./data",
    help: "LevelDB data directory",
  }),
  /**
   * Durability of LevelDB writes: "always" syncs each group commit to disk before its
   * writes are acknowledged (they survive an OS crash or power loss); "none" leaves the
   * flush to the OS, faster, but an OS crash can lose the last acknowledged writes.
   */
  sync: option({
    flag: "sync",
    kind: oneOf(["always", "none"], "WHEN"),
    default: "always",
    help: "always: fsync each commit; none: leave it to the OS (an OS crash may lose acked writes)",
  }),
  /**
   * Bytes of recently written and read records the LevelDB backend keeps in memory, so that
   * reading them (and the read before each write) does not go into LevelDB's thread pool.
   */
  cacheBytes: option({
    flag: "cache-size",
    kind: bytes(0, 64 * 1024 ** 3),
    default: 64 * 1024 ** 2,
    help: "memory for recently used records (LevelDB backend; 0 turns the cache off)",
  }),
  /** TTL of keys put without one, in milliseconds; 0 for none. */
  defaultTtlMs: option({
    flag: "default-ttl",
    kind: duration(),
    default: 0,
    defaultText: "none",
    help: "TTL of keys put without one (30s, 5m, 2h, 1d; 0 for none)",
    check: (ms) => (ms <= MAX_TTL_MS ? undefined : "must be at most 10000 years"),
  }),
  /** How often expired keys are removed in the background; 0 turns the sweeper off. */
  sweepIntervalMs: option({
    flag: "sweep-interval",
    kind: duration(),
    default: 1000,
    help: "how often expired keys are removed in the background (0: never; they are invisible at once either way)",
  }),
  /** Size of the chunks that uploaded values larger than one chunk are stored in. */
  chunkBytes: option({
    flag: "chunk-size",
    kind: bytes(1024, 64 * 1024 ** 2),
    default: 1024 * 1024,
    help: "size of the chunks large uploaded values are stored in",
  }),
});
