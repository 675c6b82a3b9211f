import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend, WriteOp } from "../../src/backend/backend.js";
import { openLevelBackend } from "../../src/backend/leveldb-backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { createWriteGate } from "../../src/backend/write-gate.js";
import { Store } from "../../src/store/store.js";
import { backupPieces, restoreBackup } from "../../src/store/store-backup.js";
import { tempDir } from "../support/temp-dir.js";

const meta = { codec: "raw", kind: "raw", model: "", contentType: "", createdAt: 1, updatedAt: 1 };
const put = (key: string, value = "v"): WriteOp => ({
  type: "put",
  key,
  record: { value: new TextEncoder().encode(value), meta },
});

/** A memory backend whose writes wait until `release()` (the ones made while `hold` is true). */
function holdingBackend() {
  const inner = createMemoryBackend();
  const waiting: (() => void)[] = [];
  const state = { hold: false };
  const backend: Backend = Object.create(inner, {
    write: {
      value: async (...args: Parameters<Backend["write"]>) => {
        if (state.hold) await new Promise<void>((resolve) => waiting.push(resolve));
        return inner.write(...args);
      },
    },
  });
  const release = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  return { backend, state, release };
}

describe("createWriteGate", () => {
  it("starts an exclusive task once the writes in flight settle, and holds later writes until it ends", async () => {
    const { backend, state, release } = holdingBackend();
    const gate = createWriteGate(backend);
    state.hold = true;
    const before = gate.backend.write([put("before")]);
    let started = false;
    const task = gate.exclusive(async (inner) => {
      started = true;
      // The task's own writes pass; it sees what the write before it left.
      state.hold = false;
      await inner.write([put("by-task")]);
      expect(await inner.get("before")).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await inner.get("after")).toBeUndefined(); // held back while the task runs
      return "done";
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toBe(false); // "before" is still in flight
    const after = gate.backend.write([put("after")]);
    release();
    expect(await task).toBe("done");
    await Promise.all([before, after]);
    expect(await gate.backend.get("after")).toBeDefined();
  });

  it("passes every other method and field through, and lets writes run after a task that failed", async () => {
    const inner = createMemoryBackend();
    const gate = createWriteGate(inner);
    expect(gate.backend.capabilities).toBe(inner.capabilities);
    await expect(gate.exclusive(() => Promise.reject(new Error("task failed")))).rejects.toThrow(
      "task failed",
    );
    await gate.backend.write([put("k", "after a failure")]);
    expect(new TextDecoder().decode((await inner.get("k"))?.value)).toBe("after a failure");
  });
});

describe("restore with the write gate", () => {
  it("orders every write wholly before or after a restore (LevelDB, writes racing it)", async () => {
    const source = await openLevelBackend({ location: join(tempDir(), "source"), sync: "none" });
    const old = new Store(source);
    const value = { codec: "raw", kind: "raw", model: "", contentType: "" };
    const bytes = (text: string) => ({ ...value, value: new TextEncoder().encode(text) });
    for (let i = 0; i < 20; i++)
      await old.write(
        "",
        Array.from({ length: 250 }, (_, j) => ({
          type: "put" as const,
          key: `old/${i * 250 + j}`,
          input: bytes("backup"),
        })),
      );
    const pieces: Uint8Array[] = [];
    for await (const piece of backupPieces(source)) pieces.push(piece.data);
    await old.close();

    const gate = createWriteGate(
      await openLevelBackend({ location: join(tempDir(), "target"), sync: "none" }),
    );
    const store = new Store(gate.backend);
    let restoring = true;
    const restore = restoreBackup(
      gate.backend,
      (async function* () {
        yield* pieces;
      })(),
      { exclusive: (task) => gate.exclusive(task) },
    ).finally(() => {
      restoring = false;
    });
    // One writer, one call at a time: a new key w/i, then old/i, which the backup holds too.
    let written = 0;
    while (restoring || written < 3) {
      await store.put("", `w/${written}`, bytes("new"));
      await store.put("", `old/${written}`, bytes("new"));
      written++;
    }
    await restore;
    const text = async (key: string) => new TextDecoder().decode((await store.get("", key))?.value);
    const kept: number[] = [];
    for (let i = 0; i < written; i++) if ((await store.get("", `w/${i}`)) !== undefined) kept.push(i);
    // The writes acknowledged before the restore are gone, every one after it is there...
    expect(kept.length).toBeGreaterThan(0);
    const first = written - kept.length;
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => first + i));
    // ...so old/i is the backup's before that point and the writer's after it, never the backup's
    // over a later write (the pair just before it may straddle the restore).
    for (let i = 0; i < written; i++)
      if (i !== first - 1) expect(await text(`old/${i}`), `old/${i}`).toBe(i >= first ? "new" : "backup");
    expect(await text("old/4999")).toBe("backup");
    await store.close();
  });
});
