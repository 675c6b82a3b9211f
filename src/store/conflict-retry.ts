import { setTimeout as sleep } from "node:timers/promises";
import { AnykvError } from "../errors.js";

/** How the store retries a write that lost a race (its pinned records changed under it). */
export interface RetryPolicy {
  /**
   * Most attempts before giving up with CONFLICT.
   * @default 64
   */
  readonly attempts: number;
  /**
   * The first wait, in ms; it doubles (with jitter) up to `maxDelayMs`. The first retry does
   * not wait: a race is usually lost to one other writer, whose write is then visible.
   * @default 1
   */
  readonly baseDelayMs: number;
  /** @default 100 */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 64,
  baseDelayMs: 1,
  maxDelayMs: 100,
});

/** What every store call that may wait accepts. */
export interface CallOptions {
  /**
   * Stops the call's conflict retries when aborted. Read only when a retry is due, so that a
   * handler may pass a getter that makes its signal on demand (the unary fast path does).
   */
  readonly signal?: AbortSignal | undefined;
}

/** What an attempt answers: its result, or RETRY when it lost a race and should run again. */
export const RETRY: unique symbol = Symbol("retry");

/**
 * Runs `attempt` until it returns something other than RETRY: bounded (CONFLICT after
 * `policy.attempts`, naming `what`), backing off with jitter between attempts, and stopping
 * with the signal's reason as soon as the call is cancelled. Every read-modify-write loop of
 * the store (commit, pop) runs through here.
 */
export async function retryOnConflict<T>(
  what: string,
  attempt: () => Promise<T | typeof RETRY>,
  call?: CallOptions,
  policy: RetryPolicy = defaultRetryPolicy,
): Promise<T> {
  let delay = policy.baseDelayMs;
  for (let n = 1; ; n++) {
    const result = await attempt();
    if (result !== RETRY) return result;
    const signal = call?.signal;
    signal?.throwIfAborted();
    if (n >= policy.attempts)
      throw new AnykvError(
        "CONFLICT",
        `${what} lost ${n} races in a row to concurrent writes of the same keys; try again`,
      );
    if (n > 1) {
      try {
        await sleep(Math.random() * delay, undefined, signal ? { signal } : {});
      } catch (err) {
        signal?.throwIfAborted(); // the call's own reason, not the timer's AbortError
        throw err;
      }
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
