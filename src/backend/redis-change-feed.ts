import type { Redis } from "ioredis";
import type { ChangeEntry, ChangePage, ChangesOptions } from "./backend.js";
import { compactedError } from "./backend.js";
import { connectRedis } from "./redis-connection.js";

/** What the change feed needs of the Redis backend. */
export interface ChangeFeedContext {
  readonly redis: Redis;
  readonly url: string;
  readonly keys: { readonly counter: string; readonly log: string; readonly compacted: string };
  /** Runs a Redis call, its failures as the backend reports them (UNAVAILABLE while Redis is down). */
  guard<T>(op: () => Promise<T>): Promise<T>;
}

/** Log entries read per step. */
const LOG_PAGE = 1000;
/** How long one blocking read of the follower waits before it looks again (whether still needed). */
const BLOCK_MS = 1000;

/**
 * The change log as the contract's changes(): reads are XRANGE, in a MULTI with the revision
 * counter and the compaction point, so that a page knows how far the log reaches and that
 * nothing it should have held was compacted away. Followers wait for new entries on one
 * blocking connection of their own (XREAD BLOCK), shared by every follower of this backend;
 * it wakes them and each reads what is new from where it is.
 */
export function createChangeFeed(ctx: ChangeFeedContext) {
  const { redis, keys, guard } = ctx;
  const waiters = new Set<() => void>();
  /** The newest log revision the blocking reader has seen. */
  let seen = 0;
  let blocking: Redis | undefined;
  let reader: Promise<void> | undefined;
  let closed = false;

  const wakeAll = () => {
    for (const wake of [...waiters]) wake();
  };

  const readLoop = async (from: number) => {
    let id = `${from}-0`;
    while (!closed && waiters.size > 0) {
      try {
        blocking ??= await connectRedis(ctx.url, "anykv-changes");
        const reply = await blocking.xread("COUNT", LOG_PAGE, "BLOCK", BLOCK_MS, "STREAMS", keys.log, id);
        const entries = reply?.[0]?.[1] ?? [];
        const newest = entries[entries.length - 1];
        if (newest) {
          id = newest[0];
          seen = Math.max(seen, Number.parseInt(id, 10));
          wakeAll();
        }
      } catch {
        // Redis is down or unreachable: the followers learn it from their own reads (UNAVAILABLE);
        // this reader tries again while any of them still waits.
        if (!closed) await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };

  /** Resolves when the log may have grown past `after`, after `ms`, or when the signal aborts. */
  const wait = (after: number, ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (seen > after || signal?.aborted || closed) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done);
      waiters.add(done);
      reader ??= readLoop(after).finally(() => (reader = undefined));
    });

  /** The log after `after` (one page at most), the latest revision and the compaction point, at one instant. */
  const readPage = async (after: number) => {
    const replies = await guard(async () => {
      const replies = await redis
        .multi()
        .get(keys.compacted)
        .get(keys.counter)
        .xrangeBuffer(keys.log, `${after + 1}-0`, "+", "COUNT", LOG_PAGE)
        .exec();
      if (!replies) throw new Error("Redis aborted a read of the change log");
      for (const [err] of replies) if (err) throw err;
      return replies;
    });
    const compacted = Number(replies[0]![1] ?? 0);
    const latest = Number(replies[1]![1] ?? 0);
    const raw = replies[2]![1] as [Buffer, Buffer[]][];
    const entries: ChangeEntry[] = raw.map(([id, fields]) => ({
      revision: Number.parseInt(id.toString(), 10),
      change: new Uint8Array(fields[1] ?? Buffer.alloc(0)),
    }));
    // A full page may stop short of the latest revision: it reaches its last entry only.
    const reaches = entries.length === LOG_PAGE ? entries[entries.length - 1]!.revision : latest;
    return { compacted, entries, reaches };
  };

  async function* changes(after: number, options: ChangesOptions = {}): AsyncGenerator<ChangePage> {
    const progressMs = options.progressMs ?? 1000;
    let at = after;
    let target: number | undefined;
    let quietSince = Date.now();
    // The contract: the first page comes at once, even without entries.
    let first = true;
    for (;;) {
      if (options.signal?.aborted) return;
      const page = await readPage(at);
      if (page.compacted > at) throw compactedError(at, page.compacted);
      target ??= page.reaches;
      const due = Date.now() - quietSince >= progressMs;
      if (first || page.entries.length > 0 || !options.follow || due) {
        first = false;
        yield { entries: page.entries, revision: page.reaches };
        quietSince = Date.now();
      }
      at = page.reaches;
      if (page.entries.length === LOG_PAGE) continue;
      if (!options.follow) {
        if (at >= target) return;
        continue;
      }
      await wait(at, Math.max(0, progressMs - (Date.now() - quietSince)), options.signal);
    }
  }

  return {
    changes,
    async close() {
      closed = true;
      wakeAll();
      blocking?.disconnect();
      await reader;
    },
  };
}
