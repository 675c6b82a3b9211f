import { describe, expect, it } from "vitest";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { RETRY, retryOnConflict } from "../../src/store/conflict-retry.js";
import { Store } from "../../src/store/store.js";
import { textInput as input } from "../support/store-fixtures.js";

describe("conflict retries", () => {
  it("give up with CONFLICT after a bounded number of attempts", async () => {
    let attempts = 0;
    const result = retryOnConflict(
      'the write of key "k"',
      async () => {
        attempts++;
        return RETRY;
      },
      {},
      { attempts: 8, baseDelayMs: 5, maxDelayMs: 20 },
    );
    await expect(result).rejects.toSatisfy(
      (e: unknown) => isAnykvError(e, "CONFLICT") && /lost 8 races in a row/.test((e as Error).message),
    );
    expect(attempts).toBe(8);
  });

  it("stop as soon as the call is cancelled", async () => {
    const abort = new AbortController();
    let attempts = 0;
    const result = retryOnConflict(
      "a write",
      async () => {
        attempts++;
        if (attempts === 3) abort.abort(new Error("cancelled by the client"));
        return RETRY;
      },
      { signal: abort.signal },
      { attempts: 1000, baseDelayMs: 1, maxDelayMs: 1 },
    );
    await expect(result).rejects.toThrow("cancelled by the client");
    expect(attempts).toBe(3);
  });

  it("end a pop that keeps losing its race when its call is cancelled", async () => {
    const backend = createMemoryBackend();
    const store = new Store(backend, { sweepIntervalMs: 0 });
    await store.put("", "hot", input("v"));
    // Every write of the key conflicts, as if another server always won.
    const write = backend.write.bind(backend);
    backend.write = (ops, conditions, change) =>
      write(ops, conditions?.length ? [{ key: "never", revision: 42 }] : conditions, change);
    const abort = new AbortController();
    const pop = store.pop("", "hot", undefined, { signal: abort.signal });
    setTimeout(() => abort.abort(new Error("client went away")), 50);
    await expect(pop).rejects.toThrow("client went away");
    await store.close();
  });
});
