import pg from "pg";
import { createCommitSignal } from "./local-change-log.js";

/**
 * One LISTEN connection per backend, shared by every follower of its change log: a commit's
 * NOTIFY wakes them all (the write function notifies in the committing transaction, so the
 * wake-up arrives after the commit is visible). Followers also re-read after `ms` without a
 * notification, so a lost connection delays them by at most that long; the listener reconnects
 * on the next wait after a short pause, and wakes everyone when it does (notifications sent
 * while it was away are lost, so everyone re-reads).
 */
export interface CommitListener {
  /** A counter of notifications seen: pass it to wait() so a commit between a read and the wait still wakes. */
  readonly seen: number;
  /** Connects and LISTENs, if it can (never throws: a follower then falls back to re-reading every `ms`). */
  ready(): Promise<void>;
  /**
   * Resolves true at the first notification after `since` was read (at once if one already came)
   * or when the listener closes or reconnects, false after `ms` or when the signal aborts.
   */
  wait(since: number, ms: number, signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

/** How long to wait before connecting again after the listener's connection failed. */
const RECONNECT_PAUSE_MS = 500;

export function createCommitListener(config: pg.ClientConfig, channel: string): CommitListener {
  let seen = 0;
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let failedAt = 0;
  let closed = false;
  const commits = createCommitSignal();

  const wakeAll = () => {
    seen++;
    commits.notify();
  };

  const drop = (lost: pg.Client) => {
    if (client !== lost) return;
    client = undefined;
    failedAt = Date.now();
    lost.end().catch(() => {});
    // Followers re-read now: if the engine is down their read says UNAVAILABLE.
    wakeAll();
  };

  const connect = async () => {
    const c = new pg.Client(config);
    // An error on an idle LISTEN connection ends it; drop() makes every follower re-read.
    c.on("error", () => drop(c));
    c.on("end", () => drop(c));
    c.on("notification", wakeAll);
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
    } catch {
      failedAt = Date.now();
      c.end().catch(() => {});
      return;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    const reconnected = failedAt !== 0;
    client = c;
    if (reconnected) wakeAll();
  };

  const ready = async () => {
    if (closed || client) return;
    // Right after a failure, connect once the pause is over (a follow that starts then still LISTENs).
    connecting ??= new Promise((r) => setTimeout(r, Math.max(0, failedAt + RECONNECT_PAUSE_MS - Date.now())))
      .then(connect)
      .finally(() => {
        connecting = undefined;
      });
    await connecting;
  };

  return {
    get seen() {
      return seen;
    },
    ready,
    async wait(since, ms, signal) {
      void ready();
      if (seen !== since) return true;
      // Without a LISTEN connection, wake when it may be back, to read what its absence hid.
      return commits.wait(client ? ms : Math.min(ms, RECONNECT_PAUSE_MS), signal);
    },
    async close() {
      closed = true;
      const c = client;
      client = undefined;
      await connecting;
      await c?.end().catch(() => {});
      // Last, so that a follower's UNAVAILABLE comes in the same turn as close() returns.
      wakeAll();
    },
  };
}
