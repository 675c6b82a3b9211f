import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { openLevelBackend } from "../../src/backend/leveldb-backend.js";
import { createStore } from "../../src/client/index.js";
import { spawnServer } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const keys = async (backend: Backend, gte: string, lt: string) => {
  const out: string[] = [];
  for await (const [key] of backend.scan({ gte, lt })) out.push(key);
  return out;
};
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("an upload cut off by a crash", () => {
  it("leaves the old value intact and no visible partial value, and the restart removes the orphaned chunks", async () => {
    const data = join(tempDir(), "data");
    const first = await spawnServer(["--data", data]);
    const store = createStore({ baseUrl: first.url });
    const old = new Uint8Array(randomBytes(2 * MiB + 5));
    await store.upload("big", old);
    await store.upload("fresh", new Uint8Array(0));

    async function* source() {
      for (let i = 0; i < 4; i++) yield new Uint8Array(MiB).fill(i);
      // Enough has reached the server to be written as chunks: now the server dies.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await first.stop("SIGKILL");
      yield new Uint8Array(MiB);
    }
    await expect(store.upload("big", source())).rejects.toThrow();
    await expect(store.upload("fresh", new Uint8Array(3 * MiB))).rejects.toThrow();
    // The crash left the cut-off upload's chunks behind, unreferenced.
    const crashed = await openLevelBackend({ location: data });
    expect(await keys(crashed, "u", "v")).toHaveLength(1);
    expect((await keys(crashed, "b", "c")).length).toBeGreaterThan(3);
    await crashed.close();

    const second = await spawnServer(["--data", data]);
    const again = createStore({ baseUrl: second.url });
    const chunks: Uint8Array[] = [];
    for await (const chunk of again.download("big")) chunks.push(chunk);
    expect(sha(new Uint8Array(Buffer.concat(chunks)))).toBe(sha(old));
    expect((await again.info("fresh")).size).toBe(0);
    // The first sweep after a start removes what the crashed upload left.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await second.stop("SIGTERM")).toBe(0);

    const backend = await openLevelBackend({ location: data });
    expect(await keys(backend, "u", "v")).toEqual([]);
    expect(await keys(backend, "b", "c")).toHaveLength(3); // the old value's chunks only
    await backend.close();
  }, 60_000);
});
