import type { NewRecord, WriteTicket } from "../backend/backend.js";

/**
 * Writes of the same keys in one process, one after the other: a write waits for the writes
 * of its keys that started before it, then runs. Without it, concurrent writes of one hot key
 * all read the same record, all pin their write to it, and all but one lose the race at the
 * commit and retry: n writers cost O(n²) attempts and back off into second-long tails. In turns,
 * each reads the record the previous one left and wins at once. Writes of other keys, and
 * other processes' writes (shared backends), are not held up: the conditions still decide.
 *
 * A write need not wait for the one before it to commit: once that one is queued in the
 * backend (Backend.write's `queued`, group commit) and says what it leaves (Turn.queued), the
 * next may build on it and name its ticket, so that writes of one hot key share a group commit
 * instead of taking one each. On a backend that queues nothing, turns end when writes settle.
 */
export interface KeyTurns {
  /** Runs `write` once every write of one of `keys` that started earlier is queued or settled. */
  run<T>(keys: readonly string[], write: (turn: Turn) => Promise<T>): Promise<T>;
}

/** A write queued in the backend and not settled yet, as the next write of its key sees it. */
export interface QueuedWrite {
  /** What it leaves under the key: its record (whose revision is not known yet), or undefined. */
  readonly record: NewRecord | undefined;
  /** Its ticket, for the next write's condition (Condition.after). */
  readonly ticket: WriteTicket;
}

export interface Turn {
  /** Whether the write had to wait (a call may have been cancelled meanwhile). */
  readonly waited: boolean;
  /**
   * The queued, unsettled write that went ahead on the write's `i`-th key (in `run`'s order), if
   * any: build on it, or wait until it has settled.
   */
  ahead(i: number): QueuedWrite | undefined;
  /** Settles once every write that went ahead on these keys has settled. */
  settled(): Promise<void>;
  /** Lets the next writes of these keys start, on top of what this one queued (by key index). */
  queued(writes: (i: number) => QueuedWrite | undefined): void;
}

/**
 * One write's turn, and what the writes after it see of it. Its promises are made only when a
 * later write waits on it: a write of a key nobody else is writing allocates this object alone.
 */
class Slot implements Turn {
  readonly waited: boolean;
  /** What it queued, until it settles. */
  private writes: ((i: number) => QueuedWrite | undefined) | undefined;
  /** The next write may start: this one is queued or settled. */
  private readonly go = new Latch();
  /** This write has settled, however it ended. */
  private readonly end = new Latch();

  /**
   * `before[i]`: the write of `keys[i]` this one waits for, if any. A write that settles without
   * queuing (cancelled, failed) keeps them, so that the next one sees through it to a write
   * still queued; one that queued drops them when it settles (all before it have settled then).
   */
  constructor(
    private readonly keys: readonly string[],
    private before: readonly (Slot | undefined)[],
  ) {
    this.waited = before.some((slot) => slot !== undefined);
  }

  /** Settles once the next write may start; undefined when it may start now. */
  started(): Promise<void> | undefined {
    return this.go.wait();
  }

  ahead(i: number): QueuedWrite | undefined {
    const slot = this.before[i];
    if (!slot) return undefined;
    const j = slot.keys.indexOf(this.keys[i] as string);
    return slot.writes?.(j) ?? slot.ahead(j);
  }

  settled(): Promise<void> {
    return all(unique(this.before).map((slot) => slot.allSettled())) ?? Promise.resolve();
  }

  queued(writes: (i: number) => QueuedWrite | undefined): void {
    this.writes = writes;
    this.go.set();
  }

  /** The write settled, however it ended. */
  finish(): void {
    if (this.writes) this.before = [];
    this.writes = undefined;
    this.go.set();
    this.end.set();
  }

  /** Settles once this write and every write it waited for have. */
  private allSettled(): Promise<void> {
    const own = this.end.wait();
    const before = this.before.length > 0 ? this.settled() : undefined;
    return all([own, before].filter((p) => p !== undefined)) ?? Promise.resolve();
  }
}

/** A one-shot event whose promise is made only if something waits for it before it happens. */
class Latch {
  private happened = false;
  private promise: Promise<void> | undefined;
  private resolve: (() => void) | undefined;

  /** Settles once it has happened; undefined when it already has. */
  wait(): Promise<void> | undefined {
    if (this.happened) return undefined;
    this.promise ??= new Promise((resolve) => {
      this.resolve = resolve;
    });
    return this.promise;
  }

  set(): void {
    if (this.happened) return;
    this.happened = true;
    this.resolve?.();
  }
}

export function createKeyTurns(): KeyTurns {
  // The last write of each key that has not settled yet.
  const last = new Map<string, Slot>();
  return {
    run(keys, write) {
      const before = keys.map((key) => last.get(key));
      const turn = new Slot(keys, before);
      const started = turn.waited
        ? all(
            unique(before)
              .map((slot) => slot.started())
              .filter((go) => go !== undefined),
          )
        : undefined;
      const result = started ? started.then(() => write(turn)) : write(turn);
      for (const key of keys) last.set(key, turn);
      void result.then(ignore, ignore).then(() => {
        turn.finish();
        for (const key of keys) if (last.get(key) === turn) last.delete(key);
      });
      return result;
    },
  };
}

/** The slots, each once. */
function unique(slots: readonly (Slot | undefined)[]): Slot[] {
  const out: Slot[] = [];
  for (const slot of slots) if (slot !== undefined && !out.includes(slot)) out.push(slot);
  return out;
}

/** Settles once all of `promises` have; undefined for none (so that a free key costs no turn). */
function all(promises: Promise<void>[]): Promise<void> | undefined {
  if (promises.length === 0) return undefined;
  return promises.length === 1 ? promises[0] : Promise.all(promises).then(ignore);
}

function ignore(): void {}
