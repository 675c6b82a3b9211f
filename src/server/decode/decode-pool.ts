import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { fromBinary } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "../../../gen/anykv/v1/value_pb.js";
import type { TypedValue } from "../../codec/typed-value.js";
import { valueToWire } from "../../codec/wire-value.js";
import { AnykvError, isAnykvError } from "../../errors.js";
import { type DecodeOutcome, type DecodeTask, decodeTask, outcomeError } from "./decode-task.js";

/** How stored values are decoded: small ones on the event loop, the rest on worker threads. */
export interface DecodePoolOptions {
  /**
   * Worker threads; 0 decodes everything on the event loop (no budget then).
   * @default availableParallelism() − 1, at least 1 and at most 4
   */
  readonly threads: number;
  /**
   * Stored values of at most this many bytes are decoded on the event loop, as long as what they
   * decode to is small too (at most INLINE_MAX_NODES values); the rest go to a thread. Measured:
   * bench/decode-threshold.ts.
   * @default 16384
   */
  readonly inlineBytes: number;
  /**
   * Most milliseconds one decode may run on a thread; past it the thread is stopped and the read
   * is RESOURCE_EXHAUSTED (`--max-decode-ms`).
   * @default 2000
   */
  readonly budgetMs: number;
  /**
   * Most decodes waiting for a thread; RESOURCE_EXHAUSTED beyond (`--max-decode-queue`).
   * @default 1024
   */
  readonly maxQueue: number;
}

export const defaultDecodePoolOptions: DecodePoolOptions = Object.freeze({
  threads: Math.max(1, Math.min(4, availableParallelism() - 1)),
  inlineBytes: 16 * 1024,
  budgetMs: 2000,
  maxQueue: 1024,
});

/**
 * A value small on disk may still decode to a large tree (memo references): an inline decode
 * stops past this many values and the value goes to a thread with the full limits.
 */
export const INLINE_MAX_NODES = 20_000;

/** What the pool did, for tests and metrics. */
export interface DecodeStats {
  /** Decodes finished on the event loop. */
  inline: number;
  /** Decodes sent to a thread. */
  pooled: number;
  /** Decodes a thread finished (with a value or an error; not those stopped over budget). */
  pooledDone: number;
  /** Threads stopped because a decode ran past budgetMs. */
  overBudget: number;
  /** Threads started (the first, replacements after a stop). */
  threadsStarted: number;
}

export interface Decoder {
  /** The stored value as the wire's anykv.v1.Value. */
  wire(task: Omit<DecodeTask, "output">): Promise<Value>;
  /** The decoded value (reads that go on to a model). */
  typed(task: Omit<DecodeTask, "output">): Promise<TypedValue>;
  readonly stats: Readonly<DecodeStats>;
  /** Stops the threads; queued decodes fail with UNAVAILABLE. */
  close(): Promise<void>;
}

interface Job {
  readonly task: DecodeTask;
  resolve(outcome: DecodeOutcome): void;
  reject(err: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  /** Set when the thread has loaded the decoder: a budget never pays for a thread's start. */
  ready: boolean;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A small worker_threads pool (README: "Decoding off the event loop" says why not piscina):
 * the budget clock starts when a thread takes the task, not while it waits in the queue, and a
 * thread past its budget is terminated, which stops even a decode stuck in one BigInt operation.
 */
export function createDecodePool(options: Partial<DecodePoolOptions> = {}): Decoder {
  const o = { ...defaultDecodePoolOptions, ...options };
  const stats: DecodeStats = { inline: 0, pooled: 0, pooledDone: 0, overBudget: 0, threadsStarted: 0 };
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let closed = false;

  const finish = (slot: Slot): Job | undefined => {
    const job = slot.job;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    return job;
  };
  const drop = (slot: Slot) => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
  };
  const start = (): Slot => {
    const worker = new Worker(workerFile());
    worker.unref();
    stats.threadsStarted++;
    const slot: Slot = { worker, ready: false, job: undefined, timer: undefined };
    worker.on("message", (message: DecodeOutcome | "ready") => {
      if (message === "ready") slot.ready = true;
      else {
        stats.pooledDone++;
        finish(slot)?.resolve(message);
      }
      dispatch();
    });
    const fail = (err: unknown) => {
      drop(slot);
      finish(slot)?.reject(err);
      dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`decode thread exited with code ${code}`)));
    slots.push(slot);
    return slot;
  };
  const dispatch = () => {
    while (queue.length > 0 && !closed) {
      const slot = slots.find((s) => s.ready && s.job === undefined);
      if (!slot) {
        // Start a thread when every thread is busy (one that is starting takes the next job).
        if (slots.length < o.threads && slots.every((s) => s.ready)) start();
        return;
      }
      const job = queue.shift() as Job;
      slot.job = job;
      slot.timer = setTimeout(() => {
        stats.overBudget++;
        drop(slot);
        finish(slot)?.reject(overBudget(job.task, o.budgetMs));
        void slot.worker.terminate();
        dispatch();
      }, o.budgetMs);
      slot.worker.postMessage(job.task);
    }
  };
  const pooled = (task: DecodeTask): Promise<DecodeOutcome> => {
    if (closed) return Promise.reject(new AnykvError("UNAVAILABLE", "the server is stopping"));
    if (queue.length >= o.maxQueue) {
      return Promise.reject(
        new AnykvError(
          "LIMIT_EXCEEDED",
          `${o.maxQueue} decodes are already waiting for a thread; retry later (limit raised with --max-decode-queue)`,
        ),
      );
    }
    stats.pooled++;
    return new Promise((resolve, reject) => {
      queue.push({ task, resolve, reject });
      dispatch();
    });
  };

  /** The decoded value when it is cheap enough for the event loop, else undefined. */
  const inline = (task: Omit<DecodeTask, "output">): TypedValue | undefined => {
    if (o.threads === 0) {
      stats.inline++;
      return decodeTask({ ...task, output: "typed" });
    }
    if (task.mode !== "raw" && task.bytes.length > o.inlineBytes) return undefined;
    const maxItems = Math.min(task.limits.maxItems, INLINE_MAX_NODES);
    try {
      const value = decodeTask({ ...task, limits: { ...task.limits, maxItems }, output: "typed" });
      stats.inline++;
      return value;
    } catch (err) {
      // Over the inline cap but maybe within the real limits: a thread decides.
      if (isAnykvError(err, "LIMIT_EXCEEDED") && maxItems < task.limits.maxItems) return undefined;
      throw err;
    }
  };

  return {
    stats,
    async wire(task) {
      const value = inline(task);
      if (value) return valueToWire(value);
      const outcome = await pooled({ ...task, output: "wire" });
      if (outcome.ok === false) throw outcomeError(outcome);
      if (outcome.ok !== "wire") throw new Error("unreachable: a wire task answered with a typed value");
      return fromBinary(ValueSchema, outcome.value);
    },
    async typed(task) {
      const value = inline(task);
      if (value) return value;
      const outcome = await pooled({ ...task, output: "typed" });
      if (outcome.ok === false) throw outcomeError(outcome);
      if (outcome.ok !== "typed") throw new Error("unreachable: a typed task answered with a wire value");
      return outcome.value;
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new AnykvError("UNAVAILABLE", "the server is stopping"));
      await Promise.all(
        slots.splice(0).map((slot) => {
          finish(slot)?.reject(new AnykvError("UNAVAILABLE", "the server is stopping"));
          return slot.worker.terminate();
        }),
      );
    },
  };
}

function overBudget(task: DecodeTask, budgetMs: number): AnykvError {
  return new AnykvError(
    "LIMIT_EXCEEDED",
    `decoding key "${task.key}" took more than ${budgetMs} ms and was stopped; limit maxDecodeMs, raised with --max-decode-ms`,
  );
}

/**
 * The worker's script: decode-worker.js next to this module. Under vitest this module is the
 * TypeScript source, which a worker thread cannot load; the tests' global setup builds dist/,
 * whose copy it uses then.
 */
function workerFile(): URL {
  const here = new URL("./decode-worker.js", import.meta.url);
  if (!import.meta.url.endsWith(".ts")) return here;
  const built = new URL(here.href.replace(/\/src\/server\/decode\//, "/dist/src/server/decode/"));
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      `the decode worker runs from the build: ${fileURLToPath(built)} is missing (npm run build)`,
    );
  }
  return built;
}
