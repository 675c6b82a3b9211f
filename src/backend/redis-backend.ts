import type { Redis } from "ioredis";
import { AnykvError } from "../errors.js";
import {
  type Backend,
  type Condition,
  KEY_PAGE,
  type ScanRange,
  type StoredRecord,
  type WriteOp,
} from "./backend.js";
import { conditionFailure } from "./conditions.js";
import { decodeRecord, encodeRecord } from "./record-encoding.js";
import { createChangeFeed } from "./redis-change-feed.js";
import { connectRedis, redisError } from "./redis-connection.js";
import { COMPACT_SCRIPT, LEASE_SCRIPT, READ_SCRIPT, RELEASE_SCRIPT, WRITE_SCRIPT } from "./redis-scripts.js";

/** Options of the Redis backend (or just its URL, for `--backend redis://…`). */
export interface RedisBackendOptions {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS (ioredis's URL). */
  readonly url: string;
  /**
   * Prefix of every Redis key of this store. It holds the store's hash tag ({…}): on Redis
   * Cluster, all of a store's keys live in the one slot of that tag, since its scripts touch
   * several keys at once. Stores with different prefixes share one Redis without meeting.
   * @default "{anykv}:"
   */
  readonly keyPrefix?: string;
}

/** Records read per step of scan() (keys from the index, then their records, in one round trip each). */
const SCAN_PAGE = 256;

// The scripts, defined on the connection (EVALSHA, with EVAL once when Redis does not have them).
interface Scripts {
  anykvWrite(numKeys: number, ...args: (string | Buffer)[]): Promise<number | string>;
  anykvReadBuffer(numKeys: number, ...keys: string[]): Promise<(Buffer | null)[]>;
  anykvCompact(...keysThenArgs: string[]): Promise<number>;
  anykvLease(...keysThenArgs: string[]): Promise<number>;
  anykvRelease(...keysThenArgs: string[]): Promise<number>;
}

/**
 * A backend on Redis that several anykv processes share. Per store (key prefix P):
 * `P r:KEY` a hash per record (`r` its revision, apart so that scripts can check conditions;
 * `b` the encoded record), `P idx` a sorted set of every key with score 0 (ZRANGE BYLEX: byte
 * order of UTF-8, which is code point order), `P rev` the revision counter, `P log` the change
 * log (a stream whose entry ids are the revisions), `P compacted` the compaction point and
 * `P lease:NAME` the leases. A write is one Lua script (redis-scripts.ts) that checks every
 * condition, takes the next revision and writes records, index and log entry together.
 */
export async function openRedisBackend(options: RedisBackendOptions | string): Promise<Backend> {
  // A bare URL (or options without a key prefix) may name its store: ?store=NAME.
  if (typeof options === "string" || options.keyPrefix === undefined)
    options = redisUrlOptions(typeof options === "string" ? options : options.url);
  const prefix = options.keyPrefix ?? "{anykv}:";
  const keys = {
    record: (key: string) => `${prefix}r:${key}`,
    index: `${prefix}idx`,
    counter: `${prefix}rev`,
    log: `${prefix}log`,
    compacted: `${prefix}compacted`,
    lease: (name: string) => `${prefix}lease:${name}`,
  };
  const redis = await connectRedis(options.url, "anykv");
  redis.defineCommand("anykvWrite", { lua: WRITE_SCRIPT });
  redis.defineCommand("anykvRead", { lua: READ_SCRIPT, readOnly: true });
  redis.defineCommand("anykvCompact", { lua: COMPACT_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand("anykvLease", { lua: LEASE_SCRIPT, numberOfKeys: 1 });
  redis.defineCommand("anykvRelease", { lua: RELEASE_SCRIPT, numberOfKeys: 1 });
  const scripts = redis as unknown as Redis & Scripts;
  let closed = false;
  const guard = async <T>(op: () => Promise<T>): Promise<T> => {
    if (closed) throw redisError(undefined, true);
    try {
      return await op();
    } catch (cause) {
      throw redisError(cause, closed);
    }
  };

  const readMany = async (list: readonly string[]): Promise<(StoredRecord | undefined)[]> => {
    if (list.length === 0) return [];
    const flat = await guard(() => scripts.anykvReadBuffer(list.length, ...list.map(keys.record)));
    return list.map((_, i) => toRecord(flat[2 * i] ?? null, flat[2 * i + 1] ?? null));
  };

  // A page of the index in order: "[k" includes k, "(k" excludes it, "-" and "+" are the ends.
  const indexPage = (low: string, high: string, reverse: boolean, count: number) =>
    guard(() =>
      reverse
        ? redis.zrange(keys.index, high, low, "BYLEX", "REV", "LIMIT", 0, count)
        : redis.zrange(keys.index, low, high, "BYLEX", "LIMIT", 0, count),
    );
  // The keys of a range, page by page, each page starting after the previous one's last key.
  async function* keyPages(range: ScanRange, pageSize: number): AsyncGenerator<string[]> {
    const reverse = range.reverse ?? false;
    let low = range.gte === undefined ? "-" : `[${range.gte}`;
    let high = range.lt === undefined ? "+" : `(${range.lt}`;
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0 && !range.signal?.aborted) {
      const page = await indexPage(low, high, reverse, Math.min(pageSize, left));
      if (page.length === 0) return;
      yield page;
      left -= page.length;
      if (page.length < Math.min(pageSize, left + page.length)) return;
      const last = `(${page[page.length - 1]}`;
      if (reverse) high = last;
      else low = last;
    }
  }

  const feed = createChangeFeed({ redis, url: options.url, keys, guard });

  return {
    capabilities: {
      orderedScan: true,
      persistent: true,
      shared: true,
      changeFeed: true,
      // Expiry is the store's leased sweeper's, so that each expiry has exactly one event in the log.
      nativeTtl: false,
      // A scan reads the index and then the records, page by page, while others write: Redis has
      // no point-in-time read of many keys short of one script reading them all, which would
      // stop every other client of the Redis for as long as it runs.
      snapshots: false,
    },
    get: async (key: string) => (await readMany([key]))[0],
    getMany: readMany,
    async write(ops: readonly WriteOp[], conditions: readonly Condition[] = [], change?: Uint8Array) {
      const keyArgs = [keys.counter, keys.index, keys.log];
      const args: (string | Buffer)[] = [String(ops.length), String(conditions.length), change ? "1" : "0"];
      for (const op of ops) {
        keyArgs.push(keys.record(op.key));
        if (op.type === "put") {
          const meta = { ...op.record.meta, revision: 0 }; // the script keeps the real revision apart
          args.push("p", op.key, Buffer.from(encodeRecord({ value: op.record.value, meta })));
        } else args.push("d", op.key, "");
      }
      for (const condition of conditions) {
        keyArgs.push(keys.record(condition.key));
        args.push(condition.revision === null ? "" : String(condition.revision));
      }
      if (change) args.push(Buffer.from(change.buffer, change.byteOffset, change.byteLength));
      const result = await guard(() => scripts.anykvWrite(keyArgs.length, ...keyArgs, ...args));
      if (typeof result === "number") return result;
      const [, index, current] = result.split(" ");
      const condition = conditions[Number(index) - 1]!;
      throw conditionFailure(condition, current ? Number(current) : null);
    },
    async *scan(range: ScanRange) {
      for await (const page of keyPages(range, SCAN_PAGE)) {
        const records = await readMany(page);
        for (const [i, key] of page.entries()) {
          if (range.signal?.aborted) return;
          const record = records[i];
          // A key deleted between the index page and its record: it is gone, skip it.
          if (record) yield [key, record] as const;
        }
      }
    },
    scanKeys: (range: ScanRange) => keyPages(range, KEY_PAGE),
    async revision() {
      return Number((await guard(() => redis.get(keys.counter))) ?? 0);
    },
    changes: feed.changes,
    async compact(upTo: number) {
      await guard(() => scripts.anykvCompact(keys.compacted, keys.counter, keys.log, String(upTo)));
    },
    async compacted() {
      return Number((await guard(() => redis.get(keys.compacted))) ?? 0);
    },
    async lease(name: string, holder: string, ttlMs: number) {
      return (await guard(() => scripts.anykvLease(keys.lease(name), holder, String(ttlMs)))) === 1;
    },
    async releaseLease(name: string, holder: string) {
      await guard(() => scripts.anykvRelease(keys.lease(name), holder));
    },
    async close() {
      if (closed) return;
      closed = true;
      await feed.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The options a `--backend` URL gives: `?store=NAME` (letters, digits, `_.-`) keeps a store of
 * its own under `{NAME}:` (its own hash tag) next to others in one Redis; the rest is ioredis's.
 */
export function redisUrlOptions(value: string): RedisBackendOptions {
  const url = new URL(value);
  const store = url.searchParams.get("store");
  if (store === null) return { url: value };
  if (!/^[\w.-]{1,64}$/.test(store))
    throw new AnykvError(
      "INVALID_ARGUMENT",
      `Redis store name "${store}" must be 1 to 64 of A-Z a-z 0-9 _ . -`,
    );
  url.searchParams.delete("store");
  return { url: url.toString(), keyPrefix: `{${store}}:` };
}

/** A record from its hash fields (revision, encoded record); undefined when the key is absent. */
function toRecord(revision: Buffer | null, bytes: Buffer | null): StoredRecord | undefined {
  if (!revision || !bytes) return undefined;
  const { meta, value } = decodeRecord(bytes);
  return { value, meta: { ...meta, revision: Number(revision.toString()) } };
}
