/**
 * Memory while listing a large key space to a slow client: ListKeys and
 * ListValues over 1M keys in LevelDB. The server runs in a child process; its
 * live heap (after a GC) and RSS are sampled while the client reads slowly,
 * then at full speed. Flat figures mean the server pulls from the LevelDB
 * iterator only as fast as the client reads (HTTP/2 flow control), instead of
 * buffering the listing.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/list-memory.js [keys]
 */
import { createStore } from "../src/client/index.js";
import { type BenchServer, mib, sampleMemory, sleep, startBenchServer } from "./support/bench-child.js";
import type { MemoryReply } from "./support/bench-protocol.js";

const KEYS = Number(process.argv[2] ?? 1_000_000);
const SLOW_MS = 8_000; // how long the client reads slowly
const SLOW_RATE = 5_000; // keys per second while slow

const server = await startBenchServer();
try {
  const t = performance.now();
  await server.fill("bench", "k", KEYS, 32);
  console.log(`filled ${KEYS} keys (32-byte values) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const baseline = await server.memory();
  console.log(`server at rest: heap ${mib(baseline.heapUsed)} MiB, rss ${mib(baseline.rss)} MiB`);
  const control = await server.buffered("bench");
  console.log(
    `control: the server holding the ${KEYS} keys in an array: heap ${mib(control.heapUsed)} MiB ` +
      `(+${mib(control.heapUsed - baseline.heapUsed)}), rss ${mib(control.rss)} MiB`,
  );
  const store = createStore({ baseUrl: server.url, namespace: "bench" });
  await measure("ListKeys", server, baseline, store.keys({ prefix: "k" }));
  await measure("ListValues", server, baseline, store.values({ prefix: "k" }));
} finally {
  await server.stop();
}

async function measure(
  name: string,
  server: BenchServer,
  baseline: MemoryReply,
  items: AsyncIterable<unknown>,
) {
  let count = 0;
  const start = performance.now();
  let fastStart = 0;
  const { samples } = await sampleMemory(server, async () => {
    for await (const _ of items) {
      count++;
      const elapsed = performance.now() - start;
      if (elapsed < SLOW_MS) {
        // A slow consumer: stay at SLOW_RATE keys per second.
        const due = (count / SLOW_RATE) * 1000 - elapsed;
        if (due > 1) await sleep(due);
      } else if (fastStart === 0) {
        fastStart = count;
      }
    }
  });
  const seconds = (performance.now() - start) / 1000;
  const peakHeap = Math.max(...samples.map((s) => s.heapUsed));
  const peakRss = Math.max(...samples.map((s) => s.rss));
  const slow = samples.slice(0, Math.floor(SLOW_MS / 250));
  const slowHeap = Math.max(...slow.map((s) => s.heapUsed));
  console.log(
    `${name}: ${count} items in ${seconds.toFixed(1)} s (slow for ${SLOW_MS / 1000} s at ${SLOW_RATE}/s, then full speed); ` +
      `${samples.length} samples of the server: peak live heap ${mib(peakHeap)} MiB ` +
      `(+${mib(peakHeap - baseline.heapUsed)} over rest; +${mib(slowHeap - baseline.heapUsed)} while slow), ` +
      `peak rss ${mib(peakRss)} MiB; ${Math.round((count - fastStart) / (seconds - SLOW_MS / 1000))} items/s at full speed`,
  );
  if (count !== KEYS) throw new Error(`${name} listed ${count} items, expected ${KEYS}`);
}
