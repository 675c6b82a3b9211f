/**
 * The server side of the benchmarks, run as a child process (child_process.fork)
 * so that its memory and CPU are its own: anykv on LevelDB in a temporary
 * directory, driven over IPC by bench/support/bench-child.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../../src/server/server.js";
import type { ServerOptions } from "../../src/server/server-options.js";
import type { StoreOp } from "../../src/store/store.js";
import type { BenchReply, BenchRequest } from "./bench-protocol.js";
import { type CpuProfiler, startCpuProfile } from "./cpu-profile.js";

const dir = mkdtempSync(join(tmpdir(), "anykv-bench-"));
// BENCH_SYNC=none runs the server with --sync none (the default is the server's: always).
const sync = process.env.BENCH_SYNC === "none" ? "none" : "always";
// BENCH_BACKEND runs it on another backend (a postgres:// or redis:// URL); LevelDB in `dir` by default.
const backend = process.env.BENCH_BACKEND;
const server = await startServer({
  port: 0,
  data: join(dir, "data"),
  maxBatchSize: 10_000,
  sync,
  ...(backend ? { backend: backend as ServerOptions["backend"] } : {}),
});
const gc = (globalThis as { gc?: () => void }).gc;
const reply = (message: BenchReply) => process.send?.(message);
let profiler: CpuProfiler | undefined;

process.on("message", (raw) => {
  const request = raw as BenchRequest;
  void handle(request).catch((err: unknown) => reply({ type: "error", message: String(err) }));
});
reply({ type: "ready", url: server.url });

async function handle(request: BenchRequest): Promise<void> {
  switch (request.type) {
    case "fill": {
      // Straight into the store (not over the wire): the benchmarks measure reading.
      const value = new Uint8Array(request.valueBytes).fill(120);
      const input = { value, codec: "text", kind: "text", model: "", contentType: "text/plain" };
      for (let start = 0; start < request.count; start += 10_000) {
        const ops: StoreOp[] = [];
        for (let i = start; i < Math.min(request.count, start + 10_000); i++) {
          ops.push({ type: "put", key: benchKey(request.prefix, i), input });
        }
        await server.store.write(request.namespace, ops);
      }
      reply({ type: "filled" });
      return;
    }
    case "memory": {
      // Collect first: what stays is what the server holds on to.
      gc?.();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      reply({ type: "memory", rss, heapUsed, external, arrayBuffers });
      return;
    }
    case "buffered": {
      // The control: what holding a whole listing in memory would cost.
      const keys: string[] = [];
      for await (const key of server.store.keys(request.namespace)) keys.push(key);
      gc?.();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      reply({ type: "memory", rss, heapUsed, external, arrayBuffers });
      keys.length = 0;
      return;
    }
    case "profile-start":
      profiler = await startCpuProfile();
      reply({ type: "profiled" });
      return;
    case "profile-stop":
      await profiler?.stop(request.path);
      profiler = undefined;
      reply({ type: "profiled" });
      return;
    case "stop":
      await server.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
  }
}

/** Keys sort in insertion order: prefix/00000042. */
export function benchKey(prefix: string, i: number): string {
  return `${prefix}/${String(i).padStart(8, "0")}`;
}
