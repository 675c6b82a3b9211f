import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { type RevisionEvents, Store } from "../../src/store/store.js";
import type { StoreOptions } from "../../src/store/store-options.js";
import { uploadLeaseName } from "../../src/store/upload-lease.js";
import { collect, textInput as input } from "../support/store-fixtures.js";

/** A store on `backend` (left open when the store closes) that counts its sweeps of the expiry index. */
function counted(backend: Backend, options: Partial<StoreOptions> = {}) {
  const stats = { sweeps: 0 };
  const view: Backend = {
    ...backend,
    scan(range) {
      if (range.gte === "x") stats.sweeps++;
      return backend.scan(range);
    },
    close: async () => undefined,
  };
  return { store: new Store(view, { sweepIntervalMs: 0, ...options }), stats };
}

const keysUnder = async (backend: Backend, gte: string, lt: string) =>
  (await collect(backend.scan({ gte, lt }))).map(([key]) => key);

describe("background work shared by several stores (servers) on one backend", () => {
  it("one store sweeps and compacts while it holds the maintenance lease; another takes over when it stops", async () => {
    const backend = createMemoryBackend();
    const a = counted(backend, { sweepIntervalMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const b = counted(backend, { sweepIntervalMs: 20 });
    const abort = new AbortController();
    const feed = b.store.watch("", { prefix: "t", signal: abort.signal });
    await feed.next();
    await b.store.put("", "t/1", input("x"), { ttlMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(a.stats.sweeps).toBeGreaterThan(5);
    expect(b.stats.sweeps).toBe(0);
    const events: RevisionEvents[] = [];
    for (;;) {
      const next = await feed.next();
      events.push(next.value!);
      if (next.value?.events.some((e: { type: string }) => e.type === "expire")) break;
    }
    expect(events.flatMap((g) => g.events.map((e) => `${e.type} ${e.key}`))).toEqual([
      "put t/1",
      "expire t/1",
    ]);
    // a stops: it gives the lease up, and b sweeps from its next tick.
    await a.store.close();
    await expect.poll(() => b.stats.sweeps, { timeout: 5000 }).toBeGreaterThan(0);
    abort.abort();
    await b.store.close();
    await backend.close();
  });

  it("leaves an upload in progress on another store alone, and cleans up one whose uploader is gone", async () => {
    const backend = createMemoryBackend();
    const a = counted(backend, { chunkBytes: 4 }).store;
    const b = counted(backend).store;
    await a.put("", "big", input("old value"));
    let resume: () => void = () => undefined;
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    async function* source() {
      yield new TextEncoder().encode("0123456789abcdef");
      await paused;
      yield new TextEncoder().encode("ghij");
    }
    const upload = a.upload("", "big", source(), { contentType: "" });
    await expect.poll(() => keysUnder(backend, "u", "v")).toHaveLength(1);
    const [marker] = await keysUnder(backend, "u", "v");
    // The uploader holds its lease: a clean-up on b leaves its chunks.
    await b.recover();
    expect(await keysUnder(backend, "u", "v")).toEqual([marker]);
    expect((await keysUnder(backend, "b", "c")).length).toBeGreaterThan(0);
    // Its uploader is gone (the lease lapsed): b's clean-up removes the chunks and the marker,
    // and the stalled upload, when it wakes, commits nothing.
    await backend.releaseLease(uploadLeaseName(marker!.slice(1)), a.holder);
    await b.recover();
    expect(await keysUnder(backend, "u", "v")).toEqual([]);
    expect(await keysUnder(backend, "b", "c")).toEqual([]);
    resume();
    await expect(upload).rejects.toSatisfy((e: unknown) => isAnykvError(e, "UNAVAILABLE"));
    expect(new TextDecoder().decode((await a.get("", "big"))!.value)).toBe("old value");
    await backend.close();
  });
});
