import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { type AnykvStore, createStore, type Protocol } from "../../src/client/index.js";
import { spawnServer } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

const SECONDS = Number(process.env.ANYKV_SOAK_SECONDS ?? 300);
const CLIENTS = Number(process.env.ANYKV_SOAK_CLIENTS ?? 200);
const KEYS = 5000;
const PROTOCOLS: readonly Protocol[] = ["grpc", "connect", "grpc-web"];

/**
 * The soak: the real server process (LevelDB, --sync always) under 200
 * clients, each with its own connection, for 5 minutes of mixed calls
 * (puts with and without TTL, gets, getMany, deletes, conditional puts,
 * batches, listings). The server's RSS is read from /proc at rest, at the
 * start of the load, in the middle and at the end.
 */
it(`serves ${CLIENTS} clients for ${SECONDS} s with flat memory and no unexpected errors`, async () => {
  const server = await spawnServer(["--data", join(tempDir(), "data"), "--sync", "always"]);
  const pid = server.child.pid!;
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
  const samples: Array<[string, number]> = [["at rest", rss()]];
  const counts = { calls: 0, aborted: 0 };
  const unexpected: string[] = [];
  const started = performance.now();
  const end = started + SECONDS * 1000;

  const key = () => `soak/${Math.floor(Math.random() * KEYS)}`;
  const value = () => `${"v".repeat(Math.floor(Math.random() ** 2 * 4096))}${Math.random()}`;
  const call = async (store: AnykvStore) => {
    const r = Math.random();
    if (r < 0.3) await store.put(key(), value(), Math.random() < 0.1 ? { ttl: 5 } : {});
    else if (r < 0.6) await store.get(key());
    else if (r < 0.7) await store.getMany(Array.from({ length: 10 }, key));
    else if (r < 0.8) await store.delete(key());
    else if (r < 0.88) {
      const k = key();
      const [current] = await store.getMany([k]);
      const condition = current?.found ? { ifRevision: current.info!.revision } : { ifAbsent: true };
      await store.put(k, value(), condition);
    } else if (r < 0.95) {
      await store.batch([
        { type: "put", key: key(), value: value() },
        { type: "put", key: key(), value: value() },
        { type: "delete", key: key() },
      ]);
    } else {
      const listed: string[] = [];
      for await (const k of store.keys({ prefix: `soak/${Math.floor(Math.random() * 10)}`, limit: 100 }))
        listed.push(k);
      if (listed.length > 100) throw new Error(`a listing with limit 100 gave ${listed.length} keys`);
    }
  };
  const client = async (i: number) => {
    const store = createStore({
      baseUrl: server.url,
      transport: PROTOCOLS[i % PROTOCOLS.length]!,
      namespace: "soak",
      raiseOnNonexist: false,
    });
    while (performance.now() < end) {
      try {
        await call(store);
        counts.calls++;
      } catch (err) {
        // A conditional write or a batch that lost a race is ABORTED; a batch may repeat a key.
        const code = err instanceof ConnectError ? err.code : undefined;
        if (code === Code.Aborted || (code === Code.InvalidArgument && /more than once/.test(String(err))))
          counts.aborted++;
        else if (unexpected.length < 20) unexpected.push(String(err));
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
    }
  };
  const sampler = setInterval(() => {
    const t = (performance.now() - started) / 1000;
    if (samples.length === 1 && t >= 10) samples.push(["start of load (10 s)", rss()]);
    if (samples.length === 2 && t >= SECONDS / 2) samples.push([`middle (${Math.round(t)} s)`, rss()]);
  }, 250);
  try {
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  } finally {
    clearInterval(sampler);
  }
  samples.push([`end (${Math.round((performance.now() - started) / 1000)} s)`, rss()]);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `soak: ${CLIENTS} clients, ${SECONDS} s: ${counts.calls} calls OK (${Math.round(counts.calls / SECONDS)}/s), ` +
      `${counts.aborted} ABORTED by races, ${unexpected.length} unexpected errors\n` +
      samples.map(([when, bytes]) => `  server RSS ${when}: ${mib(bytes)}`).join("\n"),
  );
  expect(unexpected).toEqual([]);
  expect(samples).toHaveLength(4);
  // Flat memory: the second half of the run adds at most a quarter of the middle's RSS (plus slack).
  const middle = samples[2]![1];
  const last = samples[3]![1];
  expect(last).toBeLessThan(middle * 1.25 + 64 * 2 ** 20);
  expect(await server.stop("SIGTERM")).toBe(0);
});
