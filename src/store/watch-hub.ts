import type { Backend } from "../backend/backend.js";
import { AnykvError } from "../errors.js";
import type { BackgroundReports } from "./background-tasks.js";
import { decodeChange } from "./change-encoding.js";
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

/**
 * The events of one revision (one atomic write), or a progress notification: no events, and
 * `revision` says that every change up to it under the watched prefix has been reported.
 */
export interface RevisionEvents {
  readonly revision: number;
  readonly events: readonly ChangeEvent[];
  readonly progress?: boolean;
}

/** How the hub serves its watchers. */
export interface WatchHubOptions {
  /**
   * Most bytes of events one live watcher may have waiting to be read; a watcher further
   * behind is ended with LIMIT_EXCEEDED and resumes from its revision.
   */
  readonly watcherBytes: number;
  /**
   * A watcher that was sent nothing for this long while the log moved on gets a progress
   * notification (its resume point moves past other prefixes' writes); 0 for none.
   */
  readonly progressMs: number;
  /** Told when the tail of the change log fails (the feed restarts with the next watch). */
  readonly reports?: BackgroundReports | undefined;
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
  /** The last revision it was sent (or skipped past): groups at or below it are dropped. */
  sent: number;
  sentAt: number;
  /** Set when it fell too far behind: the first revision it did not read. */
  overflowAt: number | undefined;
  /** Set when the tail failed: the watch ends with it (the client resumes). */
  failure: AnykvError | undefined;
  wake: (() => void) | undefined;
}

// What an event costs on the heap besides its value and key (the event, its entry and
// metadata objects), measured at about 800 bytes with small values; counted so that the
// byte bound holds for many small events too.
const EVENT_OVERHEAD_BYTES = 800;

const eventBytes = (e: ChangeEvent) => EVENT_OVERHEAD_BYTES + e.entry.value.length + 2 * e.key.length;

/** The index key of watchers of `prefix` in `namespace` (namespaces never contain NUL). */
const indexKey = (namespace: string, prefix: string) => `${namespace}\u0000${prefix}`;

/** How often the tail hears from a quiet log (its progress pages). */
const TAIL_PROGRESS_MS = 1000;

/**
 * Watch, as a tail of the backend's change log. One tail per store (so per server process)
 * follows backend.changes() from the moment the first watch starts, decodes each entry once,
 * and fans its events out through an index of live watchers by namespace and path prefix:
 * each event is handed only to the watchers whose prefix is one of the event key's path
 * prefixes ("", "a", "a/b", … "a/b/c"), so a write costs a lookup per path segment and a
 * delivery per interested watcher, however many other watchers there are; events are shared,
 * never copied, between watchers. A watch from a past revision first reads the log itself
 * (COMPACTED when that is older than the compaction point), then joins the tail. The log is
 * written by every process sharing the backend, so a watch sees every server's writes, and
 * it survives restarts. A live watcher with more than `watcherBytes` of events unread is
 * ended with LIMIT_EXCEEDED naming the revision to resume from.
 */
export class WatchHub {
  /** Live watchers by indexKey(namespace, prefix). */
  private readonly index = new Map<string, Set<Watcher>>();
  /** The revision the tail has read up to; undefined until the first watch starts it. */
  private position: number | undefined;
  private tail: Promise<number> | undefined;
  /** Stops the running tail (when the last watcher leaves, or at close). */
  private tailStop: AbortController | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: WatchHubStats = { watchers: 0, deliveries: 0, lookups: 0, overflows: 0 };

  constructor(
    private readonly backend: Backend,
    private readonly options: WatchHubOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts the tail unless it runs; resolves with the revision it starts after. It runs while
   * there are watchers: a server nobody watches reads nothing of the log.
   */
  private startTail(): Promise<number> {
    if (this.tail) return this.tail;
    const stop = new AbortController();
    this.tailStop = stop;
    const tail = this.backend.revision().then((start) => {
      if (this.tail === tail) this.position = start;
      void this.follow(start, stop.signal);
      return start;
    });
    this.tail = tail;
    tail.catch(() => {
      if (this.tail === tail) this.stopFollowing();
    });
    return tail;
  }

  private stopFollowing(): void {
    this.tailStop?.abort();
    this.tailStop = undefined;
    this.tail = undefined;
    this.position = undefined;
  }

  private async follow(start: number, signal: AbortSignal): Promise<void> {
    try {
      const pages = this.backend.changes(start, { follow: true, progressMs: TAIL_PROGRESS_MS, signal });
      for await (const page of pages) {
        if (signal.aborted) return;
        // Decoded only for watchers: each entry once, its events shared by all of them.
        if (this.index.size > 0)
          for (const entry of page.entries)
            this.fanOut(entry.revision, decodeChange(entry.change, entry.revision));
        this.position = Math.max(this.position ?? 0, page.revision);
      }
    } catch (err) {
      if (signal.aborted) return;
      this.options.reports?.failed("watch feed", err, 1, undefined);
      // The log could not be followed (backend down, or compacted past the tail): every live
      // watch ends with UNAVAILABLE and its client resumes from its own revision; the next
      // watch starts a new tail.
      const failure = new AnykvError("UNAVAILABLE", "the change feed was interrupted; resume the watch", {
        cause: err,
      });
      this.stopFollowing();
      for (const set of this.index.values()) {
        for (const w of set) {
          w.failure = failure;
          w.wake?.();
        }
      }
      this.index.clear();
      this.stats.watchers = 0;
    }
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
            if (revision <= w.sent) continue; // it read this revision from the log itself
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
      if (w.pendingBytes > this.options.watcherBytes) {
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

  private subscribe(namespace: string, prefix: string, sent: number): Watcher {
    const w: Watcher = {
      indexKey: indexKey(namespace, prefix),
      pending: [],
      pendingBytes: 0,
      sent,
      sentAt: this.now(),
      overflowAt: undefined,
      failure: undefined,
      wake: undefined,
    };
    let set = this.index.get(w.indexKey);
    if (!set) {
      set = new Set();
      this.index.set(w.indexKey, set);
    }
    set.add(w);
    this.stats.watchers++;
    this.progressTimer ??= this.startProgress();
    return w;
  }

  private unsubscribe(w: Watcher): void {
    const set = this.index.get(w.indexKey);
    if (!set?.delete(w)) return;
    this.stats.watchers--;
    if (set.size === 0) this.index.delete(w.indexKey);
    if (this.index.size === 0) {
      if (this.progressTimer) clearInterval(this.progressTimer);
      this.progressTimer = undefined;
      if (!this.closed) this.stopFollowing();
    }
  }

  /**
   * Every progressMs, each watcher that was sent nothing for that long while the tail moved
   * past its last revision gets a progress notification: one pass over the watchers, however
   * many writes there were.
   */
  private startProgress(): NodeJS.Timeout | undefined {
    const every = this.options.progressMs;
    if (!(every > 0)) return undefined;
    const timer = setInterval(() => this.notifyProgress(every), every);
    timer.unref();
    return timer;
  }

  private notifyProgress(quietMs: number): void {
    const position = this.position;
    if (position === undefined) return;
    const due = this.now() - quietMs;
    for (const set of this.index.values()) {
      for (const w of set) {
        if (w.pending.length > 0 || w.sent >= position || w.sentAt > due) continue;
        w.pending.push({ revision: position, events: [], progress: true });
        w.wake?.();
      }
    }
  }

  /** Ends every watch with UNAVAILABLE (the server is stopping) and stops the tail. */
  close(): void {
    this.closed = true;
    this.tailStop?.abort(); // the position stays: stopping watches are told how far it got
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = undefined;
    for (const set of this.index.values()) for (const w of set) w.wake?.();
  }

  /**
   * The events from `startRevision` on (0: from the next write), one group per revision, of
   * the keys of `namespace` under the path prefix `prefix` (normalized), with progress
   * notifications while they are quiet. The first item is the revision the watch starts at
   * (the log's latest), without events.
   */
  async *watch(
    startRevision: number,
    namespace: string,
    prefix: string,
    signal?: AbortSignal,
  ): AsyncGenerator<RevisionEvents> {
    if (this.closed) throw shuttingDown();
    const matches = (e: ChangeEvent) => e.namespace === namespace && isUnderPrefix(e.key, prefix);
    const current = await this.startTail();
    let w: Watcher;
    if (startRevision <= 0) {
      // From now on: subscribed before the first message, so no write falls in between.
      w = this.subscribe(namespace, prefix, this.position ?? current);
      yield { revision: w.sent, events: [] };
    } else {
      // Catching up: the log itself from startRevision on (COMPACTED before the first message
      // when that is compacted), until the read reaches the tail's position.
      let read = startRevision - 1;
      let pages = this.backend.changes(read, signal ? { signal } : {})[Symbol.asyncIterator]();
      try {
        let page = await pages.next();
        yield { revision: Math.max(this.position ?? current, read), events: [] };
        for (;;) {
          for (; !page.done; page = await pages.next()) {
            if (signal?.aborted) return;
            if (this.closed) throw shuttingDown();
            for (const entry of page.value.entries) {
              const events = decodeChange(entry.change, entry.revision).filter(matches);
              if (events.length > 0) yield { revision: entry.revision, events };
            }
            read = Math.max(read, page.value.revision);
          }
          // Joined in the same turn as the check: the tail delivers everything after `read`.
          const position = this.position;
          if (position !== undefined && read >= position) break;
          if (position === undefined) await this.startTail();
          pages = this.backend.changes(read, signal ? { signal } : {})[Symbol.asyncIterator]();
          page = await pages.next();
        }
      } finally {
        await pages.return?.();
      }
      w = this.subscribe(namespace, prefix, read);
    }
    try {
      for (;;) {
        if (signal?.aborted) return;
        if (w.failure) throw w.failure;
        if (w.overflowAt !== undefined) throw this.overflowError(w.overflowAt);
        const group = w.pending.shift();
        if (group) {
          w.pendingBytes -= group.events.reduce((n, e) => n + eventBytes(e), 0);
          if (group.revision <= w.sent) continue;
          w.sent = group.revision;
          w.sentAt = this.now();
          yield group;
          continue;
        }
        if (this.closed) {
          // Stopping: the client resumes after everything the tail has read, not from its last event.
          const position = this.position ?? w.sent;
          if (position > w.sent) {
            w.sent = position;
            yield { revision: position, events: [], progress: true };
          }
          throw shuttingDown();
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
      `the watch fell more than ${this.options.watcherBytes} bytes of events behind (its client reads too slowly); ` +
        `resume it from revision ${revision} (limit raised with --max-stream-buffer-bytes)`,
      { metadata: { resumeRevision: String(revision) } },
    );
  }
}

function shuttingDown(): AnykvError {
  return new AnykvError("UNAVAILABLE", "the server is shutting down; resume the watch");
}
