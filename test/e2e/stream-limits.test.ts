import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";

let server: RunningServer;
let store: AnykvStore;
const ns = "stream-limits";
beforeAll(async () => {
  server = await startTestServer({ backend: "memory", maxListingStreams: 1, maxWatchStreams: 2 });
  store = createStore({ baseUrl: server.url, namespace: ns });
});

/** Opens a Watch and waits until the server says it is in place. */
async function openWatch() {
  const abort = new AbortController();
  const it = store.rpc
    .watch({ namespace: ns, prefix: uniqueKey("w") }, { signal: abort.signal })
    [Symbol.asyncIterator]();
  expect((await it.next()).value?.created).toBe(true);
  return abort;
}

async function listKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const res of store.rpc.listKeys({ namespace: ns, limit: 3n })) keys.push(...res.keys);
  return keys;
}

/** The error a call fails with (it must fail). */
async function failure(call: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await call();
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded");
}

/** Retries `call` until it succeeds: a slot is freed once the server has seen the stream end. */
async function eventually<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 50 || ConnectError.from(err).code !== Code.ResourceExhausted) throw err;
      await sleep(20);
    }
  }
}

describe("the global limit on open streams", () => {
  it("refuses a Watch past --max-watch-streams with RESOURCE_EXHAUSTED, and frees the slot when one closes", async () => {
    const first = await openWatch();
    const second = await openWatch();
    const err = await failure(openWatch);
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(/watch streams.*2 at once.*--max-watch-streams/);
    expect(await listKeys()).toBeInstanceOf(Array); // listings count apart
    first.abort();
    const third = await eventually(openWatch);
    second.abort();
    third.abort();
  });

  it("refuses a listing past --max-listing-streams while one is held open, and frees it when it closes", async () => {
    const key = uniqueKey("big");
    await store.put(key, new Uint8Array(3 * 1024 * 1024)); // more than the flow-control windows hold
    const abort = new AbortController();
    const download = store.rpc
      .download({ namespace: ns, key }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    expect((await download.next()).value?.info?.key).toBe(key); // open, and left unread
    const err = await failure(listKeys);
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(/listing streams.*1 at once.*--max-listing-streams/);
    const watch = await openWatch(); // watches count apart
    watch.abort();
    abort.abort();
    expect(await eventually(listKeys)).toContain(key);
  });

  it("frees the slot of listings that end, whether they succeed or fail", async () => {
    for (let i = 0; i < 5; i++) expect(await listKeys()).toBeInstanceOf(Array);
    for (let i = 0; i < 3; i++) {
      const missing = store.rpc.download({ namespace: ns, key: uniqueKey("missing") });
      expect(
        (
          await failure(async () => {
            for await (const _ of missing);
          })
        ).code,
      ).toBe(Code.NotFound);
    }
    expect(await listKeys()).toBeInstanceOf(Array);
  });
});
