import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { Mode } from "../../gen/anykv/v1/value_pb.js";
import { type AnykvStore, createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";

// Issue #14's reproductions of expensive stored values, through the real server and sockets.

const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const bytesOf = (...parts: (string | number[] | Uint8Array)[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Uint8Array.from(p))));

/** A 1 MiB pickle: a list of 250 references to one 1 MiB str (a 262 MB answer once expanded). */
function referenceBomb(): Uint8Array {
  const big = "x".repeat(1024 * 1024);
  return bytesOf("\x80\x04]\x94X", u32(big.length), big, "\x940(", "h\x01".repeat(250), "e.");
}

/** A pickle of one int of `size` LONG4 bytes (about 2.4 decimal digits per byte). */
function longInt(size: number): Uint8Array {
  return bytesOf("\x80\x04\x8b", u32(size), new Uint8Array(size).fill(0x5a), ".");
}

let server: RunningServer;
let store: AnykvStore;
const namespace = "decode-limits";

beforeAll(async () => {
  server = await startTestServer({ backend: "memory" });
  store = createStore({ baseUrl: server.url, namespace });
});

/** Stores `bytes` as they are (MODE_RAW) under a fresh key. */
async function putRaw(bytes: Uint8Array): Promise<string> {
  const key = uniqueKey("bomb");
  await store.rpc.put({ namespace, key, value: { kind: { case: "raw", value: bytes } }, mode: Mode.RAW });
  return key;
}

async function errorOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error("the call succeeded");
}

describe("decode limits", () => {
  it("a 1 MiB pickle referencing one 1 MiB str 250 times: RESOURCE_EXHAUSTED naming the flag", async () => {
    const key = await putRaw(referenceBomb());
    const err = await errorOf(store.rpc.get({ namespace, key, mode: Mode.PICKLE }));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(
      /64 bytes per byte; limit maxExpansion, raised with --max-decode-expansion$/,
    );
    // The same limit on ListValues: the item carries the error, the stream goes on.
    const items = [];
    for await (const item of store.rpc.listValues({ namespace, prefix: key, mode: Mode.PICKLE }))
      items.push(item);
    expect(items).toHaveLength(1);
    expect(items[0]?.result.case).toBe("error");
    // Raw reads still return the bytes.
    const raw = await store.rpc.get({ namespace, key, mode: Mode.RAW });
    expect(raw.value?.kind.case).toBe("raw");
  });

  it("a 3.9 MB LONG4 int: RESOURCE_EXHAUSTED naming --max-int-digits, at once", async () => {
    const key = await putRaw(longInt(3_900_000));
    const err = await errorOf(store.rpc.get({ namespace, key, mode: Mode.PICKLE }));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(/more than 4300 decimal digits .* raised with --max-int-digits$/);
    // Stored with MODE_RAW, it reads back in auto mode as the bytes it was stored as.
    const auto = await store.rpc.get({ namespace, key, mode: Mode.AUTO });
    expect(auto.value?.kind.case).toBe("raw");
  });

  it("an int_value of more digits than --max-int-digits is refused on the way in", async () => {
    const err = await errorOf(
      store.rpc.put({
        namespace,
        key: uniqueKey("int"),
        value: { kind: { case: "data", value: { kind: { case: "intValue", value: "9".repeat(4301) } } } },
      }),
    );
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(/--max-int-digits/);
  });
});
