import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { Mode } from "../../gen/anykv/v1/value_pb.js";
import { BadRequestSchema, PreconditionFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type AnykvStore, createStore, errorInfo, type Protocol } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { codeOf } from "../support/connect-errors.js";
import { startTestServer, uniqueKey } from "../support/server.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe.each<Protocol>(["grpc", "connect", "grpc-web"])("key space over %s", (protocol) => {
  let store: AnykvStore;
  beforeAll(() => {
    store = createStore({ baseUrl: server.url, transport: protocol, namespace: `ks-${protocol}` });
  });

  it("lists keys in reverse and pages with startAfter", async () => {
    const base = uniqueKey("page");
    const keys = ["a", "b", "b/c", "d"].map((k) => `${base}/${k}`);
    await store.putMany(keys.map((key) => ({ key, value: key })));
    expect(await collect(store.keys({ prefix: base, reverse: true }))).toEqual([...keys].reverse());
    expect(await collect(store.keys({ prefix: base, startAfter: keys[1]! }))).toEqual(keys.slice(2));
    expect(await collect(store.keys({ prefix: base, startAfter: keys[2]!, reverse: true }))).toEqual([
      keys[1],
      keys[0],
    ]);
  });

  it("batches keys per ListKeys message: as requested, else the server's default", async () => {
    const base = uniqueKey("batched");
    const keys = Array.from({ length: 7 }, (_, i) => `${base}/${String(i).padStart(2, "0")}`);
    await store.putMany(keys.map((key) => ({ key, value: "v" })));
    const batched = await collect(
      store.rpc.listKeys({ namespace: `ks-${protocol}`, prefix: base, batchSize: 3n }),
    );
    expect(batched.map((m) => m.keys)).toEqual([keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)]);
    const byDefault = await collect(
      store.rpc.listKeys({ namespace: `ks-${protocol}`, prefix: base, limit: 2n }),
    );
    expect(byDefault.map((m) => m.keys)).toEqual([keys.slice(0, 2)]);
  });

  it("lists values with their metadata, reporting undecodable ones per item", async () => {
    const base = uniqueKey("values");
    await store.put(`${base}/1`, { n: 1 });
    await store.put(`${base}/2`, "not json");
    await store.put(`${base}/3`, [3]);
    const auto = await collect(store.values({ prefix: base }));
    expect(auto.map((v) => [v.key, v.value])).toEqual([
      [`${base}/1`, { n: 1 }],
      [`${base}/2`, "not json"],
      [`${base}/3`, [3]],
    ]);
    expect(auto[1]!.info).toMatchObject({ kind: "text", codec: "text", size: 8 });
    const json = await collect(store.values({ prefix: base, mode: "json", reverse: true }));
    expect(json.map((v) => v.key)).toEqual([`${base}/3`, `${base}/2`, `${base}/1`]);
    expect(json[0]!.value).toEqual([3]);
    expect(json[1]!.value).toBeUndefined();
    expect(json[1]!.error?.code).toBe(Code.FailedPrecondition);
    expect(json[1]!.error?.rawMessage).toContain(`${base}/2`);
    expect(json[1]!.info.key).toBe(`${base}/2`);
    expect(json[2]!.value).toEqual({ n: 1 });
    const raw = await collect(store.values({ prefix: base, mode: "raw", limit: 1 }));
    expect(raw).toHaveLength(1);
    expect(raw[0]!.value).toEqual(new TextEncoder().encode('{"n":1}'));
  });

  it("batches values per ListValues message when asked: by count, and by size for large values", async () => {
    const base = uniqueKey("values-batched");
    const keys = Array.from({ length: 5 }, (_, i) => `${base}/${i}`);
    await store.putMany(keys.map((key, i) => ({ key, value: i === 3 ? "not json" : { i } })));
    const namespace = `ks-${protocol}`;
    const batched = await collect(
      store.rpc.listValues({ namespace, prefix: base, batchSize: 2n, mode: Mode.JSON }),
    );
    expect(batched.map((m) => m.items.map((item) => item.key))).toEqual([
      keys.slice(0, 2),
      keys.slice(2, 4),
      keys.slice(4),
    ]);
    expect(batched.every((m) => m.key === "" && m.result.case === undefined && !m.info)).toBe(true);
    // An item that cannot be decoded carries its error; the others in its message their values.
    const [third, fourth] = batched[1]!.items;
    expect(third!.result.case).toBe("value");
    expect(fourth!.result.case).toBe("error");
    expect(fourth!.info?.key).toBe(keys[3]);
    // Without batch_size: one key per message, in the response's own fields (older clients).
    const single = await collect(store.rpc.listValues({ namespace, prefix: base }));
    expect(single.map((m) => [m.key, m.items.length])).toEqual(keys.map((key) => [key, 0]));
    // Large values: a message holds about 1 MiB of values, and never fewer than one key.
    const big = uniqueKey("values-big");
    const bigKeys = [0, 1, 2].map((i) => `${big}/${i}`);
    for (const key of bigKeys) await store.put(key, new Uint8Array(700 * 1024));
    const large = await collect(store.rpc.listValues({ namespace, prefix: big, batchSize: 100n }));
    expect(large.map((m) => m.items.length)).toEqual([1, 1, 1]);
    // The client asks for batches and hands out one value at a time.
    expect((await collect(store.values({ prefix: base }))).map((v) => v.key)).toEqual(keys);
  });

  it("streams a value line by line: JSON Lines as objects, other lines as text", async () => {
    const key = uniqueKey("lines");
    await store.put(key, '{"a":1}\n{"a":2}\r\nplain text\n[1,2]\n');
    expect(await collect(store.stream(key))).toEqual([{ a: 1 }, { a: 2 }, "plain text", [1, 2]]);
    const raw = await collect(store.stream<Uint8Array>(key, { mode: "raw" }));
    expect(raw.map((b) => new TextDecoder().decode(b))).toEqual([
      '{"a":1}',
      '{"a":2}',
      "plain text",
      "[1,2]",
    ]);
    const err = await collect(store.stream(key, { mode: "json" })).catch((e: unknown) => e as ConnectError);
    expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((err as ConnectError).rawMessage).toContain(`line 3 of key "${key}"`);
    expect(await codeOf(collect(store.stream(uniqueKey())))).toBe(Code.NotFound);
    const bytesKey = uniqueKey("lines-bytes");
    await store.put(bytesKey, new TextEncoder().encode("x\ny"));
    expect(await collect(store.stream(bytesKey))).toEqual(["x", "y"]);
  });

  it("gets many keys in one call, with a result per key", async () => {
    const a = uniqueKey();
    const b = uniqueKey();
    await store.put(a, { a: 1 });
    await store.put(b, "text");
    const results = await store.getMany([a, uniqueKey(), b, "../bad", a]);
    expect(results.map((r) => [r.key, r.found, r.value])).toEqual([
      [a, true, { a: 1 }],
      [results[1]!.key, false, undefined],
      [b, true, "text"],
      ["../bad", false, undefined],
      [a, true, { a: 1 }],
    ]);
    expect(results[3]!.error?.code).toBe(Code.InvalidArgument);
    expect(results[0]!.info?.kind).toBe("json");
    const json = await store.getMany([a, b], { mode: "json" });
    expect(json[0]!.value).toEqual({ a: 1 });
    expect(json[1]!.error?.code).toBe(Code.FailedPrecondition);
  });

  it("puts many values in one call; one bad item does not stop the others", async () => {
    const base = uniqueKey("many");
    const taken = `${base}/taken`;
    await store.put(taken, "first");
    const results = await store.putMany([
      { key: `${base}/a`, value: 1 },
      { key: `${base}/b`, value: new Uint8Array([1, 2]) },
      { key: "/abs", value: 1 },
      { key: `${base}/c`, value: "x", mode: "raw" },
      { key: taken, value: "second", ifAbsent: true },
      { key: `${base}/d`, value: "d", ttl: 60 },
    ]);
    expect(results.map((r) => r.stored)).toEqual([true, true, false, false, false, true]);
    expect(results.map((r) => r.error?.code)).toEqual([
      undefined,
      undefined,
      Code.InvalidArgument,
      Code.InvalidArgument,
      Code.Aborted,
      undefined,
    ]);
    expect(results[0]!.info!.revision).toBe(results[1]!.info!.revision);
    expect(results[5]!.info!.expiresAt).toBeInstanceOf(Date);
    expect(await store.get(taken)).toBe("first");
    expect(await store.get(`${base}/b`)).toEqual(new Uint8Array([1, 2]));
    const fromRecord = await store.putMany({ [`${base}/r1`]: { r: 1 }, [`${base}/r2`]: [2] });
    expect(fromRecord.every((r) => r.stored)).toBe(true);
    expect(await store.get(`${base}/r2`)).toEqual([2]);
  });

  it("deletes many keys in one call, with conditions per item", async () => {
    const a = uniqueKey();
    const b = uniqueKey();
    await store.put(a, 1);
    const bInfo = await store.put(b, 2);
    const results = await store.deleteMany([a, uniqueKey(), { key: b, ifRevision: bInfo!.revision + 1n }]);
    expect(results.map((r) => r.deleted)).toEqual([true, false, false]);
    expect(results[0]!.revision).toBeGreaterThan(0n);
    expect(results[1]!.revision).toBe(0n);
    expect(results[2]!.error?.code).toBe(Code.Aborted);
    expect(await store.exists(b)).toBe(true);
    const again = await store.deleteMany([{ key: b, ifRevision: bInfo!.revision }]);
    expect(again[0]!.deleted).toBe(true);
  });

  it("writes conditionally: if_absent and if_revision, ABORTED naming the key", async () => {
    const key = uniqueKey("cond");
    const first = await store.put(key, 1, { ifAbsent: true });
    const err = await store.put(key, 2, { ifAbsent: true }).catch((e: unknown) => e as ConnectError);
    expect((err as ConnectError).code).toBe(Code.Aborted);
    expect((err as ConnectError).rawMessage).toContain(key);
    expect((err as ConnectError).rawMessage).toContain("precondition absent failed");
    expect(errorInfo(err)).toEqual({
      reason: "CONFLICT",
      metadata: {
        key,
        namespace: `ks-${protocol}`,
        precondition: "absent",
        revision: String(first!.revision),
      },
    });
    expect((err as ConnectError).findDetails(PreconditionFailureSchema)[0]?.violations).toMatchObject([
      { type: "ABSENT", subject: key },
    ]);
    const second = await store.put(key, 2, { ifRevision: first!.revision });
    expect(second!.revision).toBeGreaterThan(first!.revision);
    expect(await codeOf(store.put(key, 3, { ifRevision: first!.revision }))).toBe(Code.Aborted);
    expect(await codeOf(store.delete(key, { ifRevision: first!.revision }))).toBe(Code.Aborted);
    expect(await store.get(key)).toBe(2);
    expect(await codeOf(store.put(key, 3, { ifRevision: 0 }))).toBe(Code.InvalidArgument);
    const res = await store.rpc.delete({
      namespace: `ks-${protocol}`,
      key,
      precondition: { condition: { case: "revision", value: second!.revision } },
    });
    expect(res.deleted).toBe(true);
    expect(res.revision).toBeGreaterThan(second!.revision);
  });

  it("applies a batch all or nothing", async () => {
    const base = uniqueKey("batch");
    const old = await store.put(`${base}/old`, "old");
    const ok = await store.batch([
      { type: "put", key: `${base}/a`, value: { a: 1 }, ifAbsent: true },
      { type: "put", key: `${base}/old`, value: "new", ifRevision: old!.revision },
      { type: "delete", key: `${base}/missing`, ifAbsent: true },
    ]);
    expect(ok.revision).toBeGreaterThan(old!.revision);
    expect(ok.results).toMatchObject([
      { type: "put", stored: true, info: { revision: ok.revision } },
      { type: "put", stored: true, info: { revision: ok.revision } },
      { type: "delete", deleted: false },
    ]);
    const failed = store.batch([
      { type: "put", key: `${base}/b`, value: 1 },
      { type: "delete", key: `${base}/a` },
      { type: "put", key: `${base}/old`, value: "newer", ifRevision: old!.revision },
    ]);
    const err = await failed.catch((e: unknown) => e as ConnectError);
    expect((err as ConnectError).code).toBe(Code.Aborted);
    expect((err as ConnectError).rawMessage).toContain(`${base}/old`);
    expect(await store.exists(`${base}/b`)).toBe(false);
    expect(await store.get(`${base}/a`)).toEqual({ a: 1 });
    expect(await store.get(`${base}/old`)).toBe("new");
    const dup = store.batch([
      { type: "put", key: `${base}/x`, value: 1 },
      { type: "delete", key: `${base}/x` },
    ]);
    expect(await codeOf(dup)).toBe(Code.InvalidArgument);
    const badValue = store.batch([
      { type: "put", key: `${base}/y`, value: 1 },
      { type: "put", key: `${base}/z`, value: "text", mode: "raw" },
    ]);
    const badErr = await badValue.catch((e: unknown) => e as ConnectError);
    expect((badErr as ConnectError).code).toBe(Code.InvalidArgument);
    expect((badErr as ConnectError).rawMessage).toMatch(/^op 1: /);
    expect(await store.exists(`${base}/y`)).toBe(false);
    // An op that is neither a put nor a delete breaks the declared constraints: the whole call.
    const empty = store.rpc.batch({ namespace: `ks-${protocol}`, ops: [{ op: { case: undefined } }] });
    const emptyErr = await empty.then(
      () => new ConnectError("succeeded"),
      (e: unknown) => ConnectError.from(e),
    );
    expect(emptyErr.code).toBe(Code.InvalidArgument);
    expect(emptyErr.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([
      "ops[0].op",
    ]);
  });

  it("deletes by prefix and says how many keys it removed", async () => {
    const base = uniqueKey("prefix");
    await store.putMany(
      ["a.json", "b.txt", "c/d.json", "keep/e.json"].map((k) => ({ key: `${base}/${k}`, value: k })),
    );
    await store.put(`${base}x`, "sibling");
    expect(await store.deletePrefix(base, { excludePrefix: `${base}/keep`, glob: "**/*.json" })).toBe(2);
    expect(await collect(store.keys({ prefix: base }))).toEqual([`${base}/b.txt`, `${base}/keep/e.json`]);
    expect(await store.deletePrefix(base)).toBe(2);
    expect(await store.get(`${base}x`)).toBe("sibling");
  });
});

describe("limits of many-item calls", () => {
  it("refuses more items than --max-batch-size with RESOURCE_EXHAUSTED, writing nothing", async () => {
    const small = await startTestServer({ maxBatchSize: 3 });
    const store = createStore({ baseUrl: small.url });
    const items = [1, 2, 3, 4].map((i) => ({ key: `limit/${i}`, value: i }));
    expect(await codeOf(store.putMany(items))).toBe(Code.ResourceExhausted);
    expect(await codeOf(store.getMany(["a", "b", "c", "d"]))).toBe(Code.ResourceExhausted);
    expect(await codeOf(store.deleteMany(["a", "b", "c", "d"]))).toBe(Code.ResourceExhausted);
    expect(await codeOf(store.batch(items.map((i) => ({ type: "put", ...i }))))).toBe(Code.ResourceExhausted);
    expect(await collect(store.keys({ prefix: "limit" }))).toEqual([]);
    expect((await store.putMany(items.slice(0, 3))).every((r) => r.stored)).toBe(true);
  });
});
