import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { type PutInput, Store } from "../../src/store/store.js";
import type { StoreOptions } from "../../src/store/store-options.js";
import { backendFactories } from "./backends.js";

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

/**
 * The store tests' stores, one way per backend in test/support/backends.ts (memory, LevelDB, and
 * the shared engines once they are listed there): [name, options → a store on a fresh backend,
 * without the background sweeper].
 */
export const storeFactories = backendFactories.map(
  (factory) =>
    [
      factory.name,
      async (options: Partial<StoreOptions> = {}) =>
        new Store(await factory.create(), { sweepIntervalMs: 0, ...options }),
    ] as const,
);
