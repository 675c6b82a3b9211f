import { AnykvError } from "../errors.js";
import { type ChangeEntry, type ChangePage, type ChangesOptions, compactedError } from "./backend.js";

/** The most entries in one page of an in-process backend's changes(). */
export const CHANGE_PAGE = 256;

/** What changes() needs from a backend that only one process opens (memory, LevelDB). */
export interface LocalChangeLog {
  /** The latest committed revision. */
  revision(): number;
  /** The compaction point. */
  compacted(): number;
  /** Whether the backend is closed (a follow then ends with UNAVAILABLE). */
  closed(): boolean;
  /** The committed entries with after < revision <= upTo, at most `limit`, in revision order. */
  read(after: number, upTo: number, limit: number): Promise<ChangeEntry[]>;
  /** The wake-up of followers: notified after every commit and at close. */
  readonly commits: CommitSignal;
  /** UNAVAILABLE, naming the backend. */
  closedError(): AnykvError;
}

/** Wakes the followers of an in-process log after each commit (no polling). */
export interface CommitSignal {
  notify(): void;
  /** Resolves at the next notify, after `ms`, or when the signal aborts; true when notified. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean>;
}

export function createCommitSignal(): CommitSignal {
  const waiters = new Set<() => void>();
  return {
    notify() {
      const woken = [...waiters];
      waiters.clear();
      for (const wake of woken) wake();
    },
    wait(ms, signal) {
      return new Promise<boolean>((resolve) => {
        let done = false;
        const finish = (notified: boolean) => {
          if (done) return;
          done = true;
          waiters.delete(wake);
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(notified);
        };
        const onAbort = () => finish(false);
        const wake = () => finish(true);
        const timer = setTimeout(() => finish(false), ms);
        waiters.add(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}

/**
 * Backend.changes for the in-process backends: reads committed entries in pages, then (with
 * follow) sleeps until the next commit or `progressMs`, whichever is first. The position and
 * the wait are checked in one turn of the event loop, so no commit slips in between.
 */
export async function* localChanges(
  log: LocalChangeLog,
  after: number,
  options: ChangesOptions = {},
): AsyncGenerator<ChangePage> {
  const { follow = false, progressMs = 1000, signal } = options;
  if (log.closed()) throw log.closedError();
  if (after < log.compacted()) throw compactedError(after, log.compacted());
  const end = log.revision();
  let position = after;
  let first = true;
  for (;;) {
    if (signal?.aborted) return;
    if (log.closed()) throw log.closedError();
    const target = follow ? log.revision() : end;
    const entries = target > position ? await log.read(position, target, CHANGE_PAGE) : [];
    // Compaction passed the position while the page was read: entries may be missing.
    if (log.compacted() > position) throw compactedError(position, log.compacted());
    const reached = entries.length === CHANGE_PAGE ? entries[CHANGE_PAGE - 1]!.revision : target;
    if (first || entries.length > 0 || reached > position) {
      first = false;
      position = Math.max(position, reached);
      yield { entries, revision: position };
    }
    if (position < target) continue;
    if (!follow) return;
    if (position < log.revision()) continue;
    const notified = await log.commits.wait(progressMs, signal);
    if (signal?.aborted) return;
    if (log.closed()) throw log.closedError();
    // A quiet log: a page without entries says the position is still current.
    if (!notified && position >= log.revision()) yield { entries: [], revision: position };
  }
}

/** Leases of a backend that only one process opens: kept in memory, with holder and expiry. */
export interface LocalLeases {
  lease(name: string, holder: string, ttlMs: number): boolean;
  release(name: string, holder: string): void;
}

export function createLocalLeases(now: () => number = Date.now): LocalLeases {
  const leases = new Map<string, { holder: string; expiresAt: number }>();
  return {
    lease(name, holder, ttlMs) {
      const current = leases.get(name);
      const t = now();
      if (current && current.holder !== holder && current.expiresAt > t) return false;
      leases.set(name, { holder, expiresAt: t + ttlMs });
      return true;
    },
    release(name, holder) {
      if (leases.get(name)?.holder === holder) leases.delete(name);
    },
  };
}

/** A lease name or holder must be non-empty and the ttl positive (INVALID_ARGUMENT otherwise). */
export function checkLease(name: string, holder: string, ttlMs: number): void {
  if (name === "" || holder === "" || !(ttlMs > 0))
    throw new AnykvError("INVALID_ARGUMENT", "a lease needs a name, a holder and a positive ttl");
}
