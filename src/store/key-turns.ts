/**
 * Writes of the same keys in one process, one after the other: a write waits for the writes
 * of its keys that started before it, then runs. Without it, concurrent writes of one hot key
 * all read the same record, all pin their write to it, and all but one lose the race at the
 * commit and retry: n writers cost O(n²) attempts and back off into second-long tails. In turns,
 * each reads the record the previous one committed and wins at once. Writes of other keys, and
 * other processes' writes (shared backends), are not held up: the conditions still decide.
 */
export interface KeyTurns {
  /**
   * Runs `write` once every write of one of `keys` that started earlier has settled; `waited`
   * tells it whether it had to wait (a call may have been cancelled meanwhile).
   */
  run<T>(keys: readonly string[], write: (waited: boolean) => Promise<T>): Promise<T>;
}

export function createKeyTurns(): KeyTurns {
  // The last write of each key that has not settled yet.
  const last = new Map<string, Promise<unknown>>();
  return {
    run(keys, write) {
      const earlier: Promise<unknown>[] = [];
      for (const key of keys) {
        const pending = last.get(key);
        if (pending !== undefined && !earlier.includes(pending)) earlier.push(pending);
      }
      const waited = earlier.length > 1 ? Promise.all(earlier) : earlier[0];
      const turn = waited ? waited.then(() => write(true)) : write(false);
      // What the next write of these keys waits for: this one settled, however it ended.
      const settled = turn.then(ignore, ignore);
      for (const key of keys) last.set(key, settled);
      void settled.then(() => {
        for (const key of keys) if (last.get(key) === settled) last.delete(key);
      });
      return turn;
    },
  };
}

function ignore(): void {}
