import type { Backend } from "../backend/backend.js";
import { isAnykvError } from "../errors.js";
import { summarizeChange } from "./change-encoding.js";

/** How much of the change log Watch clients can resume from (the retention options). */
export interface LogRetention {
  /** Most events kept. */
  readonly events: number;
  /** Oldest entry kept, in milliseconds. */
  readonly ageMs: number;
  /** Most bytes of log entries kept. */
  readonly bytes: number;
}

/** Most entries wrote() keeps past a gap; beyond, the next pass reads them. */
const MOST_AHEAD = 65_536;

interface Weighed {
  readonly revision: number;
  readonly at: number;
  readonly events: number;
  readonly bytes: number;
}

/** Moves the backend's compaction point so that the log keeps what the retention says. */
export interface LogCompactor {
  /** One pass: reads the entries written since the last pass, then compacts. Returns the compaction point. */
  run(): Promise<number>;
  /** Forgets what it read (another process compacted meanwhile: the next pass starts over). */
  reset(): void;
  /**
   * Weighs an entry this process has just written, so that no pass has to read it back: at once
   * when it comes right after what the compactor has weighed; otherwise (a pass is still
   * reading, or another writer's entry came between) once a pass has weighed everything before
   * it. Ignored until the first pass after a reset: a process that does not hold the
   * maintenance lease never runs one.
   */
  wrote(revision: number, change: Uint8Array): void;
}

/**
 * The compactor of the process that holds the maintenance lease (store.ts). It weighs each
 * log entry once (its header: time and event count, and its size), keeping the weights of
 * the retained entries in memory, and compacts below the oldest entry the retention keeps.
 * The compaction point is the backend's, shared by every process: a watch older than it, on
 * any server, is COMPACTED.
 *
 * The entries this process writes are weighed as they are written (`wrote`), so that a pass
 * reads back only what other processes wrote: reading an entry back costs 9–13 µs of CPU
 * (bench/log-compaction.ts), once per write. An entry past what is weighed (a pass is still
 * reading, or another writer's entry comes between) waits in `ahead` until a pass closes the gap.
 */
export function createLogCompactor(
  backend: Backend,
  retention: LogRetention,
  now: () => number,
): LogCompactor {
  let kept: Weighed[] = [];
  let head = 0;
  // Every entry up to this revision is weighed (undefined: no pass since the last reset).
  let read: number | undefined;
  let ahead = new Map<number, Weighed>();
  let events = 0;
  let bytes = 0;
  const reset = () => {
    kept = [];
    head = 0;
    read = undefined;
    ahead = new Map();
    events = 0;
    bytes = 0;
  };
  const keep = (entry: Weighed) => {
    kept.push(entry);
    events += entry.events;
    bytes += entry.bytes;
    read = entry.revision;
  };
  const weigh = (revision: number, change: Uint8Array): Weighed => {
    const summary = summarizeChange(change);
    return { revision, at: summary.at, events: summary.events, bytes: change.length };
  };
  /** Keeps the entries waiting right after `position`, in order. */
  const catchUp = (position: number) => {
    for (let next = ahead.get(position + 1); next; next = ahead.get(position + 1)) {
      ahead.delete(next.revision);
      keep(next);
      position = next.revision;
    }
  };
  return {
    reset,
    wrote(revision, change) {
      // Not while no pass has run: this process may not hold the lease, and then never reads.
      if (read === undefined || revision <= read) return;
      if (revision === read + 1) {
        keep(weigh(revision, change));
        if (ahead.size > 0) catchUp(revision);
      } else if (ahead.size < MOST_AHEAD) ahead.set(revision, weigh(revision, change));
      else ahead.clear(); // far behind: the next pass reads them
    },
    async run() {
      read ??= await backend.compacted();
      try {
        for await (const page of backend.changes(read)) {
          // wrote() may have weighed some of the page's entries while it was read.
          for (const entry of page.entries)
            if (entry.revision > read) keep(weigh(entry.revision, entry.change));
          read = Math.max(read, page.revision);
        }
        // The entries written since the pass began, unless another writer's came between; the
        // pass has read those waiting at or below where it ended.
        for (const revision of ahead.keys()) if (revision <= read) ahead.delete(revision);
        catchUp(read);
      } catch (err) {
        if (!isAnykvError(err, "COMPACTED")) throw err;
        reset();
        return backend.compacted();
      }
      const oldest = now() - retention.ageMs;
      let point: number | undefined;
      for (;;) {
        const first = kept[head];
        if (!first || !(events > retention.events || bytes > retention.bytes || first.at < oldest)) break;
        head++;
        events -= first.events;
        bytes -= first.bytes;
        point = first.revision;
      }
      if (head > 1024 && head * 2 > kept.length) {
        kept = kept.slice(head);
        head = 0;
      }
      if (point !== undefined) await backend.compact(point);
      return backend.compacted();
    },
  };
}
