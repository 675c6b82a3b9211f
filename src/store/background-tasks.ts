/**
 * What the store's background tasks (the expiry sweep, the recovery of unfinished uploads after
 * a start, watch feeds) tell their owner, who logs and counts it (server/observe). Nothing in
 * the background fails silently: a failed run is reported and tried again with backoff.
 */
export interface BackgroundReports {
  /**
   * A run of `task` failed (its `attempt`th failure in a row); it runs again in `retryMs`, or
   * (undefined) when it is next needed (the watch feed restarts with the next watch).
   */
  failed(task: string, err: unknown, attempt: number, retryMs: number | undefined): void;
  /** A run of `task` succeeded after `failures` failed ones. */
  recovered(task: string, failures: number): void;
  /** An expiry sweep finished, removing `expired` keys. */
  swept(expired: number): void;
}

/**
 * Reports for a store nobody gave any: failures become process warnings (stderr), so that they
 * are never swallowed.
 */
export const warningReports: BackgroundReports = {
  failed(task, err, attempt, retryMs) {
    const why = err instanceof Error ? err.message : String(err);
    const when = retryMs === undefined ? "when next needed" : `in ${retryMs} ms`;
    process.emitWarning(`${task} failed (${attempt} in a row), retrying ${when}: ${why}`, {
      code: "ANYKV_BACKGROUND_TASK",
    });
  },
  recovered() {},
  swept() {},
};

/** Longest wait between two tries of a failing task. */
export const MAX_BACKOFF_MS = 60_000;

/**
 * The wait after the `attempt`th failure in a row: `baseMs` doubled each time, at most
 * max(maxMs, baseMs), with ±20% jitter so that servers sharing a backend do not retry in step.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs = MAX_BACKOFF_MS): number {
  const ceiling = Math.max(maxMs, baseMs);
  const wait = Math.min(ceiling, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(wait * (0.8 + Math.random() * 0.4));
}

/** A periodic background task; stop() cancels the next run (a run under way finishes). */
export interface Periodic {
  stop(): void;
}

/**
 * Runs `steps[0]` (named `names[0]`) after `intervalMs`, again and again with backoff until it
 * succeeds, then `steps[1]` every `intervalMs`, also retried with backoff after a failure. One
 * run at a time (on a large store a sweep may outlast the interval: the next one starts an
 * interval after it ends). Each step resolves to the number of keys it expired. The timers do
 * not keep the process alive.
 */
export function runPeriodically(
  intervalMs: number,
  steps: readonly [() => Promise<number>, () => Promise<number>],
  names: readonly [string, string],
  reports: BackgroundReports,
): Periodic {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let step = 0;
  let failures = 0;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    const name = names[step] as string;
    (steps[step] as () => Promise<number>)().then(
      (expired) => {
        if (failures > 0) reports.recovered(name, failures);
        failures = 0;
        step = 1;
        reports.swept(expired);
        schedule(intervalMs);
      },
      (err: unknown) => {
        failures++;
        const wait = backoffMs(failures, intervalMs);
        // A store closed under a run fails it: nothing to report, nothing to retry.
        if (stopped) return;
        reports.failed(name, err, failures, wait);
        schedule(wait);
      },
    );
  };
  schedule(intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
