import { AnykvError } from "../errors.js";
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
}

// What an event costs on the heap besides its value and key (the event, its entry and
// metadata objects), measured at about 800 bytes with small values; counted so that the
// byte bound holds for many small events too.
const EVENT_OVERHEAD_BYTES = 800;

interface Group extends RevisionEvents {
  readonly at: number;
  readonly bytes: number;
}

/**
 * The change feed: a ring of the most recent writes' events, in revision
 * order, fed by the store's one write path. A watcher reads the ring from its
 * next revision on and waits when it has caught up, so it needs no buffer of
 * its own; one that falls behind the ring (or asks for an older revision)
 * gets COMPACTED with the oldest revision still available.
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
  private wake: { promise: Promise<void>; resolve: () => void } = deferred();

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
    if (events.length > 0) {
      const bytes = events.reduce(
        (n, e) => n + EVENT_OVERHEAD_BYTES + e.entry.value.length + 2 * e.key.length,
        0,
      );
      this.groups.push({ revision, events, at: this.now(), bytes });
      this.count += events.length;
      this.bytes += bytes;
      this.evict();
    }
    this.notify();
  }

  /** Ends every watch with UNAVAILABLE (the server is stopping); clients resume elsewhere or later. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  /**
   * The events from `startRevision` on (0: from the next write), one group per
   * revision, filtered by `matches`. The first item is the revision the watch
   * starts at (the store's latest), without events.
   */
  async *watch(
    startRevision: number,
    matches: (event: ChangeEvent) => boolean,
    signal?: AbortSignal,
  ): AsyncGenerator<RevisionEvents> {
    await this.ready;
    this.evict();
    if (startRevision > 0 && startRevision <= this.compacted) throw this.compactedError(startRevision);
    let next = startRevision > 0 ? startRevision : this.latest + 1;
    yield { revision: this.latest, events: [] };
    for (;;) {
      if (this.closed) throw new AnykvError("UNAVAILABLE", "the server is shutting down; resume the watch");
      if (signal?.aborted) return;
      this.evict();
      if (next <= this.compacted) throw this.compactedError(next);
      const i = this.firstAtOrAfter(next);
      const group = this.groups[i];
      if (!group) {
        await this.waitForChange(signal);
        continue;
      }
      next = group.revision + 1;
      const events = group.events.filter(matches);
      if (events.length > 0) yield { revision: group.revision, events };
    }
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

  private notify(): void {
    const { resolve } = this.wake;
    this.wake = deferred();
    resolve();
  }

  private waitForChange(signal?: AbortSignal): Promise<void> {
    const changed = this.wake.promise;
    if (!signal) return changed;
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      void changed.then(done);
    });
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
