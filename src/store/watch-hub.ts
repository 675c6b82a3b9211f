import { AnykvError } from "../errors.js";
import { isUnderPrefix } from "./keys.js";
import type { Entry } from "./store-write.js";

/** One change of one key, as Watch reports it. */
export interface ChangeEvent {
  readonly type: "put" | "delete" | "expire";
  readonly namespace: string;
  readonly key: string;
  readonly revision: number;
  /** After a put, the new entry; after a delete or expiry, the removed one. */
  readonly entry: Entry;
}

/** The events of one revision (one atomic write). */
export interface RevisionEvents {
  readonly revision: number;
  readonly events: readonly ChangeEvent[];
}

/** How much history the hub keeps for watchers that resume. */
export interface WatchRetention {
  /** Most events kept. */
  readonly events: number;
  /** Oldest event kept, in milliseconds. */
  readonly ageMs: number;
  /** Most bytes of values kept (values of events are held by reference). */
  readonly bytes: number;
  /**
   * Most bytes of events one live watcher may have waiting to be read (counted as the ring
   * counts them); a watcher further behind is ended with LIMIT_EXCEEDED and resumes from its
   * revision.
   */
  readonly watcherBytes: number;
}

/** What the hub's fan-out did, for tests and metrics. */
export interface WatchHubStats {
  /** Live watchers. */
  watchers: number;
  /** Groups handed to live watchers (one per watcher per revision with events it selects). */
  deliveries: number;
  /** Prefix-index lookups (one per path prefix of each event's key). */
  lookups: number;
  /** Watchers ended because they fell more than watcherBytes behind. */
  overflows: number;
}

/** Whom a live watch selects, and its events waiting to be read. */
interface Watcher {
  readonly indexKey: string;
  readonly pending: RevisionEvents[];
  pendingBytes: number;
  /** Set when it fell too far behind: the first revision it did not read. */
  overflowAt: number | undefined;
  wake: (() => void) | undefined;
}

// What an event costs on the heap besides its value and key (the event, its entry and
// metadata objects), measured at about 800 bytes with small values; counted so that the
// byte bound holds for many small events too.
const EVENT_OVERHEAD_BYTES = 800;

const eventBytes = (e: ChangeEvent) => EVENT_OVERHEAD_BYTES + e.entry.value.length + 2 * e.key.length;

/** The index key of watchers of `prefix` in `namespace` (namespaces never contain NUL). */
const indexKey = (namespace: string, prefix: string) => `${namespace}\u0000${prefix}`;

interface Group extends RevisionEvents {
  readonly at: number;
  readonly bytes: number;
}

/**
 * The change feed: a ring of the most recent writes' events, in revision
 * order, fed by the store's one write path. A watch first reads the ring from
 * its start revision (COMPACTED when that is older than the ring); once caught
 * up it is live: it sits in an index by namespace and path prefix, and each
 * write hands its events only to the watchers whose prefix is one of the
 * event key's path prefixes ("", "a", "a/b", … "a/b/c"), so a write costs a
 * lookup per path segment and a delivery per interested watcher, however many
 * other watchers there are. Events are shared, never copied, between watchers.
 * A live watcher with more than `watcherBytes` of events unread is ended with
 * LIMIT_EXCEEDED naming the revision to resume from.
 */
export class WatchHub {
  /** Groups in revision order; those before `head` are evicted (undefined, so their events can be collected). */
  private groups: (Group | undefined)[] = [];
  private head = 0;
  private count = 0;
  private bytes = 0;
  /** Events of this revision and older may be missing. */
  private compacted = 0;
  private latest = 0;
  private closed = false;
  /** Live watchers by indexKey(namespace, prefix). */
  private readonly index = new Map<string, Set<Watcher>>();
  readonly stats: WatchHubStats = { watchers: 0, deliveries: 0, lookups: 0, overflows: 0 };

  constructor(
    private readonly retention: WatchRetention,
    private readonly now: () => number,
    /** Resolves to the store's revision when the hub starts: nothing older is retained. */
    readonly ready: Promise<number>,
  ) {
    void ready.then(
      (revision) => {
        this.compacted = Math.max(this.compacted, revision - 1);
        this.latest = Math.max(this.latest, revision);
      },
      () => undefined,
    );
  }

  /** Records the events of a write; called by the store after the backend write succeeded. */
  publish(revision: number, events: readonly ChangeEvent[]): void {
    this.latest = Math.max(this.latest, revision);
    if (events.length === 0) return;
    const bytes = events.reduce((n, e) => n + eventBytes(e), 0);
    this.groups.push({ revision, events, at: this.now(), bytes });
    this.count += events.length;
    this.bytes += bytes;
    this.evict();
    this.fanOut(revision, events);
  }

  /** Hands each event to the live watchers of its key's path prefixes, one group per watcher. */
  private fanOut(revision: number, events: readonly ChangeEvent[]): void {
    if (this.index.size === 0) return;
    let selected: Map<Watcher, ChangeEvent[]> | undefined;
    for (const event of events) {
      const key = event.key;
      // "" and every path prefix of the key, the key itself included.
      for (let end = 0; end !== -1; ) {
        const prefix = end === 0 ? "" : key.slice(0, end);
        this.stats.lookups++;
        const watchers = this.index.get(indexKey(event.namespace, prefix));
        if (watchers) {
          selected ??= new Map();
          for (const w of watchers) {
            const list = selected.get(w);
            if (list) list.push(event);
            else selected.set(w, [event]);
          }
        }
        if (end === key.length) break;
        const slash = key.indexOf("/", end + 1);
        end = slash === -1 ? key.length : slash;
      }
    }
    if (!selected) return;
    for (const [w, list] of selected) {
      this.stats.deliveries++;
      w.pending.push({ revision, events: list });
      w.pendingBytes += list.reduce((n, e) => n + eventBytes(e), 0);
      if (w.pendingBytes > this.retention.watcherBytes) {
        // Too far behind: the watch ends and resumes from its first unread revision.
        this.stats.overflows++;
        w.overflowAt = w.pending[0]?.revision ?? revision;
        w.pending.length = 0;
        w.pendingBytes = 0;
        this.unsubscribe(w);
      }
      w.wake?.();
    }
  }

  private subscribe(namespace: string, prefix: string): Watcher {
    const w: Watcher = {
      indexKey: indexKey(namespace, prefix),
      pending: [],
      pendingBytes: 0,
      overflowAt: undefined,
      wake: undefined,
    };
    let set = this.index.get(w.indexKey);
    if (!set) {
      set = new Set();
      this.index.set(w.indexKey, set);
    }
    set.add(w);
    this.stats.watchers++;
    return w;
  }

  private unsubscribe(w: Watcher): void {
    const set = this.index.get(w.indexKey);
    if (!set?.delete(w)) return;
    this.stats.watchers--;
    if (set.size === 0) this.index.delete(w.indexKey);
  }

  /** Ends every watch with UNAVAILABLE (the server is stopping); clients resume elsewhere or later. */
  close(): void {
    this.closed = true;
    for (const set of this.index.values()) for (const w of set) w.wake?.();
  }

  /**
   * The events from `startRevision` on (0: from the next write), one group per
   * revision, of the keys of `namespace` under the path prefix `prefix` (normalized).
   * The first item is the revision the watch starts at (the store's latest), without events.
   */
  async *watch(
    startRevision: number,
    namespace: string,
    prefix: string,
    signal?: AbortSignal,
  ): AsyncGenerator<RevisionEvents> {
    await this.ready;
    this.evict();
    if (startRevision > 0 && startRevision <= this.compacted) throw this.compactedError(startRevision);
    let next = startRevision > 0 ? startRevision : this.latest + 1;
    yield { revision: this.latest, events: [] };
    const matches = (e: ChangeEvent) => e.namespace === namespace && isUnderPrefix(e.key, prefix);
    // Catching up: the retained history from `next` on, read from the ring.
    for (;;) {
      if (signal?.aborted) return;
      if (this.closed) throw shuttingDown();
      this.evict();
      if (next <= this.compacted) throw this.compactedError(next);
      const group = this.groups[this.firstAtOrAfter(next)];
      if (!group) break;
      next = group.revision + 1;
      const events = group.events.filter(matches);
      if (events.length > 0) yield { revision: group.revision, events };
    }
    // Live: caught up in this same turn of the event loop, so no write falls in between.
    const w = this.subscribe(namespace, prefix);
    try {
      for (;;) {
        if (signal?.aborted) return;
        if (this.closed) throw shuttingDown();
        if (w.overflowAt !== undefined) throw this.overflowError(w.overflowAt);
        const group = w.pending.shift();
        if (group) {
          w.pendingBytes -= group.events.reduce((n, e) => n + eventBytes(e), 0);
          yield group;
          continue;
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            w.wake = undefined;
            signal?.removeEventListener("abort", done);
            resolve();
          };
          w.wake = done;
          signal?.addEventListener("abort", done, { once: true });
        });
      }
    } finally {
      this.unsubscribe(w);
    }
  }

  private overflowError(revision: number): AnykvError {
    return new AnykvError(
      "LIMIT_EXCEEDED",
      `the watch fell more than ${this.retention.watcherBytes} bytes of events behind (its client reads too slowly); ` +
        `resume it from revision ${revision} (limit raised with --max-stream-buffer-bytes)`,
      { metadata: { resumeRevision: String(revision) } },
    );
  }

  private compactedError(revision: number): AnykvError {
    const oldest = this.compacted + 1;
    return new AnykvError(
      "COMPACTED",
      `revision ${revision} is older than the watch retention window; the oldest revision available is ${oldest} ` +
        "(start from it, or from 0 for new changes only, after re-reading the keys)",
      { metadata: { oldestRevision: String(oldest) } },
    );
  }

  private firstAtOrAfter(revision: number): number {
    let lo = this.head;
    let hi = this.groups.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.groups[mid]!.revision < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private evict(): void {
    const { events, ageMs, bytes } = this.retention;
    const oldestKept = this.now() - ageMs;
    for (;;) {
      const first = this.groups[this.head];
      if (!first || !(this.count > events || this.bytes > bytes || first.at < oldestKept)) break;
      // Release the group now: one group can hold a whole batch's events and values.
      this.groups[this.head] = undefined;
      this.head++;
      this.count -= first.events.length;
      this.bytes -= first.bytes;
      this.compacted = first.revision;
    }
    if (this.head > 1024 && this.head * 2 > this.groups.length) {
      this.groups = this.groups.slice(this.head);
      this.head = 0;
    }
  }
}

function shuttingDown(): AnykvError {
  return new AnykvError("UNAVAILABLE", "the server is shutting down; resume the watch");
}
