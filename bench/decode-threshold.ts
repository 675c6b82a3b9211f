/**
 * Where decoding a stored value on a thread starts to pay: for pickles and JSON of growing
 * size, the time a read's decode holds the event loop inline (deserialize + the conversion to
 * anykv.v1.Value) against a round trip through the decode pool (post, decode on the thread,
 * transfer the encoded Value back, parse it), and the part of that round trip the event loop
 * itself spends. Below the threshold a thread costs more than the work; above it, the inline
 * decode blocks every other client for longer than a round trip takes.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/decode-threshold.js
 */
import { data } from "../src/codec/data.js";
import { jsonCodec } from "../src/codec/json-codec.js";
import { defaultPickleLimits, encodePickle } from "../src/codec/pickle/index.js";
import { createDecodePool } from "../src/server/decode/decode-pool.js";
import type { DecodeTask } from "../src/server/decode/decode-task.js";

const record = (i: number) =>
  data.dict([
    [data.str("id"), data.int(i)],
    [data.str("name"), data.str(`user ${i}`)],
    [data.str("email"), data.str(`user${i}@example.com`)],
    [data.str("score"), data.float(i / 7)],
    [data.str("tags"), data.list([data.str("a"), data.str("b")])],
  ]);

const inline = createDecodePool({ threads: 0 });
const pool = createDecodePool({ threads: 1, inlineBytes: 0, budgetMs: 60_000 });

/** Median of `runs` timings of `fn`, in milliseconds. */
async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** Event-loop time of a pooled decode: wall time minus the time the loop sat idle, via ELU. */
async function loopBusy(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const before = performance.eventLoopUtilization();
  const t = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  const elu = performance.eventLoopUtilization(before);
  return ((performance.now() - t) * elu.utilization) / runs;
}

const rows: string[] = [];
for (const records of [1, 4, 16, 64, 256, 1024, 4096, 16384]) {
  const value = data.list(Array.from({ length: records }, (_, i) => record(i)));
  for (const [codec, bytes] of [
    ["pickle", encodePickle(value)],
    ["json", jsonCodec.encode(value)],
  ] as const) {
    const task: Omit<DecodeTask, "output"> = {
      bytes,
      stored: { codec, kind: "data" },
      mode: "auto",
      key: "k",
      limits: defaultPickleLimits,
      keepCode: false,
    };
    const runs = records >= 4096 ? 15 : 101;
    await pool.wire(task); // start the thread
    const inlineMs = await median(runs, () => inline.wire(task));
    const pooledMs = await median(runs, () => pool.wire(task));
    const loopMs = await loopBusy(runs, () => pool.wire(task));
    rows.push(
      `| ${codec} | ${records} records | ${(bytes.length / 1024).toFixed(1)} KiB | ${inlineMs.toFixed(3)} | ${pooledMs.toFixed(3)} | ${loopMs.toFixed(3)} |`,
    );
  }
}
await pool.close();
console.log(
  "| codec | value | stored size | inline (ms, median) | pool round trip (ms, median) | event loop busy per pooled read (ms) |",
);
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
