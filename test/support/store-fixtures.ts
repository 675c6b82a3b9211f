import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { type PutInput, Store } from "../../src/store/store.js";
import type { StoreOptions } from "../../src/store/store-options.js";

/** What a text put hands the store. */
export const textInput = (text: string): PutInput => ({
  value: new TextEncoder().encode(text),
  codec: "text",
  kind: "text",
  model: "",
  contentType: "text/plain",
});

/** A clock the test moves by hand. */
export function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A store over a fresh memory backend, without the background sweeper. */
export const memoryStore = (options: Partial<StoreOptions> = {}) =>
  new Store(createMemoryBackend(), { sweepIntervalMs: 0, ...options });

/** Everything an async iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}
