import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Mode } from "../../gen/anykv/v1/value_pb.js";
import { createStore } from "../../src/client/index.js";
import { startTestServer, uniqueKey } from "../support/server.js";

// Issue #14: one expensive stored value must never block other clients. The slow value here is
// an int of about a million decimal digits (its conversion to decimal takes seconds), allowed by
// a raised --max-int-digits: decoded on a thread, it leaves the event loop free.

const DIGITS_LIMIT = 3_000_000;
const INT_BYTES = 400_000; // about 963,000 decimal digits

/** A pickle of one positive LONG4 int of `size` bytes, and the int's last 9 decimal digits. */
function slowInt(size: number): { pickle: Uint8Array; lastDigits: string } {
  const payload = Buffer.alloc(size, 0x5a);
  const header = Buffer.from([0x80, 0x04, 0x8b, size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, 0]);
  // Little-endian 0x5a5a…: the same int as big-endian hex, so it converts without decimal.
  const value = BigInt(`0x${payload.toString("hex")}`);
  return {
    pickle: Buffer.concat([header, payload, Buffer.from(".")]),
    lastDigits: (value % 1_000_000_000n).toString().padStart(9, "0"),
  };
}

async function putRaw(store: ReturnType<typeof createStore>, namespace: string, bytes: Uint8Array) {
  const key = uniqueKey("slow");
  await store.rpc.put({ namespace, key, value: { kind: { case: "raw", value: bytes } }, mode: Mode.RAW });
  return key;
}

describe("decoding off the event loop", () => {
  it("a small Get answers while big decodes are still running on threads", async () => {
    const server = await startTestServer({
      backend: "memory",
      decodeThreads: 2,
      maxIntDigits: DIGITS_LIMIT,
      maxDecodeMs: 120_000,
    });
    const namespace = "pool";
    const store = createStore({ baseUrl: server.url, namespace });
    const { pickle, lastDigits } = slowInt(INT_BYTES);
    const bigKey = await putRaw(store, namespace, pickle);
    await store.put("small", { hello: "world" });

    let bigDone = 0;
    const bigs = [1, 2].map(async () => {
      const res = await store.rpc.get({ namespace, key: bigKey, mode: Mode.PICKLE });
      bigDone++;
      return res;
    });
    // Both big decodes are on threads before the small Get is sent.
    await expect.poll(() => server.decodeStats.pooled, { interval: 5, timeout: 10_000 }).toBe(2);
    expect(await store.get("small")).toEqual({ hello: "world" });
    // Answered while both decodes were still running (not merely before their answers arrived).
    expect(server.decodeStats.pooledDone).toBe(0);
    expect(bigDone).toBe(0);

    for (const res of await Promise.all(bigs)) {
      const kind = res.value?.kind;
      expect(kind?.case).toBe("data");
      const int = kind?.case === "data" && kind.value.kind.case === "intValue" ? kind.value.kind.value : "";
      expect(int.length).toBeGreaterThan(900_000);
      expect(int.slice(-9)).toBe(lastDigits);
    }
    expect(server.decodeStats.overBudget).toBe(0);
  }, 120_000);

  it("a decode past --max-decode-ms stops its thread: RESOURCE_EXHAUSTED, and the next reads work", async () => {
    const server = await startTestServer({
      backend: "memory",
      decodeThreads: 1,
      maxIntDigits: DIGITS_LIMIT,
      maxDecodeMs: 50,
    });
    const namespace = "budget";
    const store = createStore({ baseUrl: server.url, namespace });
    const bigKey = await putRaw(store, namespace, slowInt(INT_BYTES).pickle);
    let error: unknown;
    try {
      await store.rpc.get({ namespace, key: bigKey, mode: Mode.PICKLE });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((error as ConnectError).rawMessage).toMatch(
      /took more than 50 ms and was stopped; limit maxDecodeMs, raised with --max-decode-ms$/,
    );
    expect(server.decodeStats.overBudget).toBe(1);
    // A new thread takes the next large value (a quick one); a small one still decodes inline.
    const text = "a".repeat(100_000);
    const str = Buffer.concat([
      Buffer.from([0x80, 0x04, 0x58, 0xa0, 0x86, 0x01, 0x00]),
      Buffer.from(`${text}.`),
    ]);
    const medium = await putRaw(store, namespace, str);
    const res = await store.rpc.get({ namespace, key: medium, mode: Mode.PICKLE });
    expect(res.value?.kind).toEqual({ case: "text", value: text });
    await store.put("small", [1, 2, 3]);
    expect(await store.get("small")).toEqual([1, 2, 3]);
    expect(server.decodeStats.threadsStarted).toBe(2);
  }, 60_000);
});
