import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore, type WatchEvent } from "../../src/client/index.js";
import { runCli, spawnServer } from "../support/cli-process.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { uniqueKey } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

/** The client connections (ESTABLISHED TCP sockets on `port`) that process `pid` holds (Linux /proc). */
function connectionsOf(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let n = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === "01" && inodes.has(f[9]!)) n++;
    }
  }
  return n;
}

const workerPids = (output: string) =>
  [...output.matchAll(/anykv worker (\d+) serving/g)].map((m) => Number(m[1]));

describe("anykv serve --workers", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.close());

  it("serves from two processes on one port, with a Watch seeing writes made through the other", {
    timeout: 120_000,
  }, async () => {
    const server = await spawnServer(["--backend", redis.url, "--workers", "2"]);
    const port = Number(new URL(server.url).port);
    const pids = workerPids(server.output());
    expect(pids).toHaveLength(2);
    // node:cluster hands connections to the workers in turn: four connections, two each.
    const stores: AnykvStore[] = Array.from({ length: 4 }, () => createStore({ baseUrl: server.url }));
    const prefix = uniqueKey("workers");
    for (const [i, store] of stores.entries()) await store.put(`${prefix}/warm${i}`, i);
    for (const pid of pids) expect(connectionsOf(pid, port), `worker ${pid}`).toBeGreaterThan(0);

    const abort = new AbortController();
    const startRevision = (await stores[1]!.put(`${prefix}/mark`, 0))!.revision + 1n;
    const watch = { prefix: `${prefix}/w`, startRevision, signal: abort.signal };
    const events = stores[0]!.watch(watch)[Symbol.asyncIterator]();
    const seen: Promise<WatchEvent[]> = (async () => {
      const out: WatchEvent[] = [];
      while (out.length < 3) out.push((await events.next()).value as WatchEvent);
      return out;
    })();
    for (let i = 1; i <= 3; i++) await stores[i]!.put(`${prefix}/w/${i}`, i);
    expect((await seen).map((e) => e.key)).toEqual([1, 2, 3].map((i) => `${prefix}/w/${i}`));
    abort.abort();

    // A worker that dies is replaced; the service goes on.
    process.kill(pids[0]!, "SIGKILL");
    await expect.poll(() => workerPids(server.output()).length, { timeout: 10_000 }).toBe(3);
    const fresh = createStore({ baseUrl: server.url });
    await fresh.put(`${prefix}/after`, "ok");
    expect(await createStore({ baseUrl: server.url }).get(`${prefix}/after`)).toBe("ok");
    expect(await server.stop("SIGTERM")).toBe(0);
  });

  it("refuses --workers above 1 on LevelDB and memory, saying why", { timeout: 60_000 }, async () => {
    for (const backend of [`leveldb:${tempDir()}/data`, "memory:"]) {
      const { code, output } = await runCli(["serve", "--port", "0", "--backend", backend, "--workers", "2"]);
      expect(code).not.toBe(0);
      expect(output).toMatch(/--workers 2 needs a backend that several processes can share/);
    }
  });
});
