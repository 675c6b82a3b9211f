import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore, type Protocol } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";

// Races over real sockets: every writer has its own client (its own connection),
// all against one server on LevelDB.
let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});

const writers = (n: number, protocol: Protocol): AnykvStore[] =>
  Array.from({ length: n }, () =>
    createStore({ baseUrl: server.url, transport: protocol, namespace: "races" }),
  );
const isAborted = (err: unknown) => err instanceof ConnectError && err.code === Code.Aborted;

describe.each<Protocol>(["grpc", "connect"])("races over %s", (protocol) => {
  it("lets exactly one of many if_absent writers win", async () => {
    const key = uniqueKey("claim");
    const clients = writers(32, protocol);
    const results = await Promise.allSettled(
      clients.map((c, i) => c.put(key, `writer ${i}`, { ifAbsent: true })),
    );
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(won).toHaveLength(1);
    expect(results.every((r) => r.status === "fulfilled" || isAborted(r.reason))).toBe(true);
    expect(await clients[0]!.get(key)).toBe(`writer ${won[0]}`);
  });

  it("loses no update when many writers read-modify-write with if_revision", async () => {
    const key = uniqueKey("counter");
    const clients = writers(8, protocol);
    const perWriter = 25;
    await clients[0]!.put(key, 0);
    let retries = 0;
    const increment = async (store: AnykvStore) => {
      for (;;) {
        const [current] = await store.getMany([key]);
        try {
          await store.put(key, (current!.value as number) + 1, { ifRevision: current!.info!.revision });
          return;
        } catch (err) {
          if (!isAborted(err)) throw err;
          retries++;
        }
      }
    };
    await Promise.all(
      clients.map(async (store) => {
        for (let i = 0; i < perWriter; i++) await increment(store);
      }),
    );
    expect(await clients[0]!.get(key)).toBe(clients.length * perWriter);
    // The race was real: writers did collide and retry.
    expect(retries).toBeGreaterThan(0);
  });

  it("keeps a batched transfer consistent under contention", async () => {
    const base = uniqueKey("accounts");
    const clients = writers(6, protocol);
    await clients[0]!.putMany([
      { key: `${base}/a`, value: 100 },
      { key: `${base}/b`, value: 100 },
    ]);
    const transfer = async (store: AnykvStore, from: string, to: string) => {
      for (;;) {
        const [src, dst] = await store.getMany([`${base}/${from}`, `${base}/${to}`]);
        try {
          await store.batch([
            {
              type: "put",
              key: `${base}/${from}`,
              value: (src!.value as number) - 1,
              ifRevision: src!.info!.revision,
            },
            {
              type: "put",
              key: `${base}/${to}`,
              value: (dst!.value as number) + 1,
              ifRevision: dst!.info!.revision,
            },
          ]);
          return;
        } catch (err) {
          if (!isAborted(err)) throw err;
        }
      }
    };
    await Promise.all(
      clients.map(async (store, i) => {
        for (let n = 0; n < 10; n++)
          await (i % 2 === 0 ? transfer(store, "a", "b") : transfer(store, "b", "a"));
      }),
    );
    const [a, b] = await clients[0]!.getMany([`${base}/a`, `${base}/b`]);
    expect((a!.value as number) + (b!.value as number)).toBe(200);
    expect(a!.value).toBe(100); // as many transfers each way
  });
});
