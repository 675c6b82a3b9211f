/** What a transfer counts: bytes (shown in MiB) or keys. */
export type ProgressUnit = "bytes" | "keys";

export interface ProgressReporter {
  /** `done` of `total` (when known) so far; `note` is shown after the figures. */
  update(done: number, total?: number, note?: string): void;
  /** The last line: the totals and the average rate. */
  finish(done: number, total?: number, note?: string): void;
}

export interface ProgressOptions {
  /** "uploaded", "downloaded", "imported", "exported". */
  readonly verb: string;
  readonly unit: ProgressUnit;
  /** Off: nothing is written (stderr is not a terminal and --progress was not given). */
  readonly enabled: boolean;
  readonly out?: NodeJS.WriteStream;
}

/**
 * Progress of a long transfer on stderr, with its rate and the time left: redrawn in place
 * on a terminal (at most 10 times a second); elsewhere (--progress into a log) the first
 * update, then a line at most once a second, then the totals.
 */
export function createProgress(options: ProgressOptions): ProgressReporter {
  const out = options.out ?? process.stderr;
  const started = performance.now();
  let last = Number.NEGATIVE_INFINITY;
  const line = (done: number, total: number | undefined, note: string | undefined, finished: boolean) => {
    const seconds = Math.max((performance.now() - started) / 1000, 0.001);
    const rate = done / seconds;
    const parts = [`${options.verb} ${amount(done, options.unit)}`];
    if (total !== undefined && total > 0)
      parts[0] += ` / ${amount(total, options.unit)} (${Math.min(100, Math.floor((done / total) * 100))}%)`;
    parts.push(`${amount(rate, options.unit)}/s`);
    if (!finished && total !== undefined && rate > 0) parts.push(`ETA ${eta((total - done) / rate)}`);
    if (finished) parts.push(`done in ${eta(seconds)}`);
    return parts.join(", ") + (note ? ` (${note})` : "");
  };
  return {
    update(done, total, note) {
      if (!options.enabled) return;
      const now = performance.now();
      if (now - last < (out.isTTY ? 100 : 1000)) return;
      last = now;
      const text = line(done, total, note, false);
      out.write(out.isTTY ? `\r${text}\u001b[K` : `${text}\n`);
    },
    finish(done, total, note) {
      if (!options.enabled) return;
      const text = line(done, total, note, true);
      out.write(out.isTTY ? `\r${text}\u001b[K\n` : `${text}\n`);
    },
  };
}

function amount(n: number, unit: ProgressUnit): string {
  if (unit === "keys") return `${Math.round(n)} keys`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Seconds as "4s", "2m05s", "1h02m". */
function eta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
