import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Mode } from "../../gen/anykv/v1/value_pb.js";
import { createStore, errorInfo } from "../../src/client/index.js";
import { startTestServer } from "../support/server.js";

// Watch over real sockets: each event is encoded once per way of reading it, whatever the number
// of watchers; a watcher whose client stops reading is ended, not buffered without bound.

describe("Watch fan-out over the wire", () => {
  it("encodes each event once per mode, shared by every watcher of that mode", async () => {
    const server = await startTestServer({ backend: "memory" });
    const store = createStore({ baseUrl: server.url, namespace: "fan" });
    const abort = new AbortController();
    const open = async (mode: Mode) => {
      const it = store.rpc
        .watch({ namespace: "fan", prefix: "shared", includeValues: true, mode }, { signal: abort.signal })
        [Symbol.asyncIterator]();
      expect((await it.next()).value?.created).toBe(true);
      return it;
    };
    const autos = await Promise.all(Array.from({ length: 30 }, () => open(Mode.AUTO)));
    const raws = await Promise.all(Array.from({ length: 10 }, () => open(Mode.RAW)));
    await expect.poll(() => server.store.watchStats.watchers, { interval: 5 }).toBe(40);
    const before = server.watchStats.encodes;
    await store.put("shared/doc", { n: 1 });
    const kindOf = async (it: (typeof autos)[number]) => {
      const result = (await it.next()).value?.events[0]?.result;
      return result?.case === "value" ? result.value.kind : undefined;
    };
    const auto = await Promise.all(autos.map(kindOf));
    const raw = await Promise.all(raws.map(kindOf));
    expect(auto.every((kind) => kind?.case === "json")).toBe(true);
    expect(raw.every((kind) => kind?.case === "raw")).toBe(true);
    expect(server.watchStats.encodes - before).toBe(2);
    // A write nobody watches is neither delivered nor encoded.
    const delivered = server.store.watchStats.deliveries;
    await store.put("elsewhere/doc", 1);
    expect(server.store.watchStats.deliveries).toBe(delivered);
    expect(server.watchStats.encodes - before).toBe(2);
    abort.abort();
  });

  it("ends a watch whose client stops reading with RESOURCE_EXHAUSTED, and it resumes from its revision", async () => {
    const server = await startTestServer({ backend: "memory", maxStreamBufferBytes: 256 * 1024 });
    const store = createStore({ baseUrl: server.url, namespace: "slow" });
    const abort = new AbortController();
    const it = store.rpc
      .watch({ namespace: "slow", prefix: "big", includeValues: true }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    expect((await it.next()).value?.created).toBe(true);
    // The client reads nothing more while 8 MB of events are written: flow control stops the
    // server's writes, and the events wait in the hub until the watch is over its 256 KiB.
    const value = new Uint8Array(64 * 1024).fill(1);
    let first = 0n;
    for (let i = 0; i < 128; i++) {
      const res = await store.rpc.put({
        namespace: "slow",
        key: `big/${i}`,
        value: { kind: { case: "raw", value } },
      });
      if (i === 0) first = res.info?.revision ?? 0n;
    }
    await expect.poll(() => server.store.watchStats.overflows, { interval: 10 }).toBe(1);
    expect(server.store.watchStats.watchers).toBe(0);
    // Reading again: what the transport held, then the error naming the revision to resume from.
    let seen = 0;
    let error: unknown;
    try {
      for (;;) {
        const next = await it.next();
        if (next.done) break;
        seen += next.value.events.length;
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
    const resumeAt = BigInt(
      /resume it from revision (\d+)/.exec((error as ConnectError).rawMessage)?.[1] ?? "0",
    );
    expect(resumeAt).toBe(first + BigInt(seen));
    // Programs read it from the ErrorInfo rather than the message.
    expect(errorInfo(error)).toEqual({
      reason: "LIMIT_EXCEEDED",
      metadata: { resumeRevision: String(resumeAt) },
    });
    // The resumed watch replays the rest from the retention window, without a gap.
    const resumed = store.rpc
      .watch({ namespace: "slow", prefix: "big", startRevision: resumeAt }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    await resumed.next();
    const keys: string[] = [];
    while (keys.length < 128 - seen) {
      for (const e of (await resumed.next()).value?.events ?? []) keys.push(e.key);
    }
    expect(keys[0]).toBe(`big/${seen}`);
    expect(keys.at(-1)).toBe("big/127");
    abort.abort();
  });
});
