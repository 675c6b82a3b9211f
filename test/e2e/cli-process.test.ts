import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import { runCli, spawnServer } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

describe("anykv serve as a process", () => {
  it("keeps every acknowledged write across SIGTERM and a restart on the same directory", async () => {
    const data = join(tempDir(), "data");
    const first = await spawnServer(["--data", data]);
    const store = createStore({ baseUrl: first.url });
    await store.put("text", "1");
    await store.put("json", { a: [1, 2] });
    await store.put("bytes", new Uint8Array([0, 255]));
    const before = await store.info("bytes");
    // Writes in flight when the signal arrives either finish or fail; none is half-done.
    const inflight = Array.from({ length: 200 }, (_, i) => store.put(`inflight/${i}`, i).then(() => i));
    await new Promise((r) => setTimeout(r, 5));
    const exitCode = await first.stop("SIGTERM");
    const acknowledged = (await Promise.allSettled(inflight)).flatMap((r) =>
      r.status === "fulfilled" ? [r.value] : [],
    );
    expect(exitCode).toBe(0);
    expect(first.output()).toContain("SIGTERM received");

    const second = await spawnServer(["--data", data]);
    const again = createStore({ baseUrl: second.url });
    expect(await again.get("text")).toBe("1");
    expect(await again.get("json")).toEqual({ a: [1, 2] });
    expect(await again.get("bytes")).toEqual(new Uint8Array([0, 255]));
    for (const i of acknowledged) expect(await again.get(`inflight/${i}`)).toBe(i);
    const after = await again.put("next", "x");
    expect(after!.revision).toBeGreaterThan(before.revision);
    expect(await second.stop("SIGINT")).toBe(0);
  });

  it("refuses to start a second server on a directory in use, with a clear message", async () => {
    const data = join(tempDir(), "data");
    const first = await spawnServer(["--data", data]);
    const second = await runCli(["serve", "--port", "0", "--data", data]);
    expect(second.code).toBe(1);
    expect(second.output).toContain(`the data directory ${data} is in use by another anykv server`);
    expect(second.output).not.toMatch(/\n\s+at /); // no stack trace for a person to wade through
    await first.stop();
  });

  it("takes its settings from the environment, and flags over the environment", async () => {
    const server = await spawnServer([], {
      ANYKV_BACKEND: "memory",
      ANYKV_DEFAULT_TTL: "1h",
      ANYKV_DATA: join(tempDir(), "unused"),
    });
    expect(server.output()).toContain("data: memory");
    const store = createStore({ baseUrl: server.url });
    const info = await store.put("k", "v");
    expect(info!.expiresAt!.getTime() - info!.updatedAt!.getTime()).toBe(3_600_000);
    await server.stop();
    const flagged = await spawnServer(["--default-ttl", "30s"], {
      ANYKV_BACKEND: "memory",
      ANYKV_DEFAULT_TTL: "1h",
    });
    const info2 = await createStore({ baseUrl: flagged.url }).put("k", "v");
    expect(info2!.expiresAt!.getTime() - info2!.updatedAt!.getTime()).toBe(30_000);
    await flagged.stop();
  });

  it("explains bad configuration without a stack trace", async () => {
    const result = await runCli(["serve", "--default-ttl", "soon"]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('--default-ttl (command line): "soon" is not a duration');
    const port = await runCli(["serve", "--port", "70000"]);
    expect(port.output).toContain("--port (command line): must be from 0 to 65535 (got 70000)");
  });
});
