import { beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore } from "../../src/client/index.js";
import { startTestServer, type TestServer, uniqueKey } from "../support/server.js";

// A reader that stops iterating one of the Node client's streams early (a break in its for-await
// loop) must cancel the call. connect-es leaves the HTTP/2 stream open then, and the server's
// handler with it until the connection closes: a listing blocked on flow control, holding its
// LevelDB iterator; a download its value; a watch its place in the change feed. The server logs
// a call the client cancelled (at debug) when it ends, so its line shows whether it did.
let server: TestServer;
let store: AnykvStore;
const namespace = "early-exit";
// More than HTTP/2's flow-control window and the sockets' buffers hold, so that a listing the
// client stops reading cannot finish on its own.
const KEYS = 50_000;
let prefix: string;

beforeAll(async () => {
  server = await startTestServer({ logLevel: "debug" });
  store = createStore({ baseUrl: server.url, namespace });
  prefix = uniqueKey("many");
  for (let start = 0; start < KEYS; start += 1000)
    await store.putMany(
      Array.from({ length: 1000 }, (_, i) => ({
        key: `${prefix}/${String(start + i).padStart(40, "0")}`,
        value: "v".repeat(200),
      })),
    );
}, 60_000);

/** How the server's calls of `method` ended, from its access log. */
function endings(method: string): string[] {
  return server.logs
    .lines()
    .filter((line) => line.msg === "call" && line.method === `anykv.v1.StoreService/${method}`)
    .map((line) => String(line.code));
}

/** Reads one item of `items`, then breaks out of the loop. */
async function firstOf<T>(items: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of items) return item;
  return undefined;
}

describe("the Node client cancels a stream its reader stops early", () => {
  it("keys(): the listing ends CANCELLED, not when the connection closes", async () => {
    expect(await firstOf(store.keys({ prefix }))).toBe(`${prefix}/${"0".repeat(40)}`);
    await expect.poll(() => endings("ListKeys"), { timeout: 3000 }).toEqual(["CANCELLED"]);
  });

  it("values(): the listing ends CANCELLED", async () => {
    expect((await firstOf(store.values({ prefix })))?.value).toBe("v".repeat(200));
    await expect.poll(() => endings("ListValues"), { timeout: 3000 }).toEqual(["CANCELLED"]);
  });

  it("stream(): the line stream of a value ends CANCELLED", async () => {
    const key = uniqueKey("lines");
    await store.put(key, `${"line of text\n".repeat(300_000)}`);
    expect(await firstOf(store.stream(key))).toBe("line of text");
    await expect.poll(() => endings("Stream"), { timeout: 3000 }).toEqual(["CANCELLED"]);
  });

  it("download(): a large value's download ends CANCELLED", async () => {
    const key = uniqueKey("large");
    await store.upload(key, new Uint8Array(8 * 1024 * 1024).fill(7));
    expect((await firstOf(store.download(key)))?.[0]).toBe(7);
    await expect.poll(() => endings("Download"), { timeout: 3000 }).toEqual(["CANCELLED"]);
  });

  it("watch(): a watch on a prefix that goes quiet ends CANCELLED", async () => {
    const base = uniqueKey("watched");
    const put = await store.put(`${base}/a`, 1);
    const event = await firstOf(store.watch({ prefix: base, startRevision: put!.revision }));
    expect(event?.key).toBe(`${base}/a`);
    await expect.poll(() => endings("Watch"), { timeout: 3000 }).toEqual(["CANCELLED"]);
  });

  it("a stream read to its end is not cancelled", async () => {
    const base = uniqueKey("few");
    await store.putMany([0, 1, 2].map((i) => ({ key: `${base}/${i}`, value: i })));
    const before = endings("ListKeys").length;
    const keys: string[] = [];
    for await (const key of store.keys({ prefix: base })) keys.push(key);
    expect(keys).toHaveLength(3);
    await expect.poll(() => endings("ListKeys").slice(before), { timeout: 3000 }).toEqual(["OK"]);
  });
});
