import type { Backend } from "./backend.js";

/** A backend whose writes can be held back while one task has the backend to itself. */
export interface WriteGate {
  /** The backend; its writes wait while an exclusive task runs. */
  readonly backend: Backend;
  /**
   * Runs `task` once every write in flight through `backend` has settled, holding back the
   * writes that arrive meanwhile until it ends (they then run in order, against what it left).
   * The task writes through the backend it is given, which the gate does not hold back. One
   * exclusive task runs at a time.
   */
  exclusive<T>(task: (backend: Backend) => Promise<T>): Promise<T>;
}

/**
 * Restore replaces every record in batches: a write that ran between them could survive next
 * to the restored records while a write acknowledged before it was erased. The gate orders this
 * server's writes (RPCs, the sweeper, uploads, models) wholly before or after such a task.
 * While it is open a write costs a counter and one `finally`.
 */
export function createWriteGate(inner: Backend): WriteGate {
  let writing = 0;
  let drained: (() => void) | undefined;
  /** Settles when the running exclusive task ends; undefined while the gate is open. */
  let closed: Promise<void> | undefined;
  const settled = () => {
    writing--;
    if (writing === 0) drained?.();
  };
  const pass: Backend["write"] = (...args) => {
    writing++;
    return inner.write(...args).finally(settled);
  };
  const write: Backend["write"] = (...args) => (closed ? waitThenWrite(args) : pass(...args));
  const waitThenWrite = async (args: Parameters<Backend["write"]>) => {
    while (closed) await closed;
    return pass(...args);
  };
  return {
    // The backend's own methods and fields, with `write` passing the gate (backends are plain
    // objects whose methods do not depend on `this`).
    backend: Object.create(inner, { write: { value: write, enumerable: true } }) as Backend,
    async exclusive(task) {
      while (closed) await closed;
      let open!: () => void;
      closed = new Promise<void>((resolve) => {
        open = resolve;
      });
      try {
        if (writing > 0)
          await new Promise<void>((resolve) => {
            drained = resolve;
          });
        drained = undefined;
        return await task(inner);
      } finally {
        closed = undefined;
        open();
      }
    },
  };
}
