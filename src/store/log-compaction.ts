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
}

/**
 * The compactor of the process that holds the maintenance lease (store.ts). It weighs each
 * log entry once (its header: time and event count, and its size), keeping the weights of
 * the retained entries in memory, and compacts below the oldest entry the retention keeps.
 * The compaction point is the backend's, shared by every process: a watch older than it, on
 * any server, is COMPACTED.
 */
export function createLogCompactor(
  backend: Backend,
  retention: LogRetention,
  now: () => number,
): LogCompactor {
  let kept: Weighed[] = [];
  let head = 0;
  let read: number | undefined;
  let events = 0;
  let bytes = 0;
  const reset = () => {
    kept = [];
    head = 0;
    read = undefined;
    events = 0;
    bytes = 0;
  };
  return {
    reset,
    async run() {
      read ??= await backend.compacted();
      try {
        for await (const page of backend.changes(read)) {
          for (const entry of page.entries) {
            const summary = summarizeChange(entry.change);
            kept.push({
              revision: entry.revision,
              at: summary.at,
              events: summary.events,
              bytes: entry.change.length,
            });
            events += summary.events;
            bytes += entry.change.length;
          }
          read = page.revision;
        }
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
