import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore, type Protocol } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});

const MiB = 1024 * 1024;
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const join2 = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const codeOf = async (promise: Promise<unknown>): Promise<Code | "ok"> => {
  try {
    await promise;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
};
/** The stored chunk and upload-marker keys of the store (b…, u…). */
const systemKeys = async (prefix: "b" | "u") => {
  const keys: string[] = [];
  for await (const [key] of server.store.backend.scan({
    gte: prefix,
    lt: String.fromCharCode(prefix.charCodeAt(0) + 1),
  }))
    keys.push(key);
  return keys;
};

describe.each<Protocol>(["grpc", "connect"])("large values over %s", (protocol) => {
  let store: AnykvStore;
  beforeAll(() => {
    store = createStore({ baseUrl: server.url, transport: protocol, namespace: `lv-${protocol}` });
  });

  it.each([0, 1000, MiB, MiB + 1, 5 * MiB + 123])("round-trips %i bytes with their sha256", async (size) => {
    const key = uniqueKey("up");
    const value = new Uint8Array(randomBytes(size));
    const progress: number[] = [];
    const up = await store.upload(key, [value.subarray(0, 7), value.subarray(7)], {
      contentType: "application/x-test",
      onProgress: (p) => progress.push(p.bytes),
    });
    expect(up).toMatchObject({ sha256: sha(value), size });
    expect(up.info).toMatchObject({ size, contentType: "application/x-test", kind: "raw" });
    if (size > 0) expect(progress.at(-1)).toBe(size);
    expect(sha(join2(await collect(store.download(key))))).toBe(sha(value));
    expect(await store.checksum(key)).toBe(sha(value));
    expect(await store.checksum(key, { algorithm: "md5" })).toBe(
      createHash("md5").update(value).digest("hex"),
    );
    expect((await store.info(key)).size).toBe(size);
    // Get answers values up to the message limit, chunked or not.
    if (size < 4 * MiB) expect(sha(await store.get<Uint8Array>(key, { mode: "raw" }))).toBe(sha(value));
  });

  it("serves offset/length ranges across chunk boundaries", async () => {
    const key = uniqueKey("range");
    const value = new Uint8Array(randomBytes(3 * MiB + 17));
    await store.upload(key, value);
    for (const [offset, length] of [
      [0, 10],
      [MiB - 5, 10],
      [MiB, MiB],
      [2 * MiB + 3, undefined],
      [3 * MiB + 10, 100],
      [4 * MiB, 5],
    ] as const) {
      const got = join2(await collect(store.download(key, { offset, ...(length ? { length } : {}) })));
      expect(
        Buffer.from(got).equals(Buffer.from(value.subarray(offset, length ? offset + length : undefined))),
      ).toBe(true);
    }
  });

  it("answers Get of a value beyond the message limit with RESOURCE_EXHAUSTED naming Download", async () => {
    const key = uniqueKey("huge");
    await store.upload(key, new Uint8Array(5 * MiB));
    const err = await store.get(key, { mode: "raw" }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.ResourceExhausted });
    expect(String((err as ConnectError).message)).toMatch(/Download/);
    const listed = await collect(store.values({ prefix: key }));
    expect(listed[0]?.error?.code).toBe(Code.ResourceExhausted);
  });

  it("streams a chunked value line by line through the chunks", async () => {
    const key = uniqueKey("lines");
    const lines = Array.from({ length: 40_000 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(40) }));
    await store.upload(key, new TextEncoder().encode(`${lines.join("\n")}\n`));
    expect((await store.info(key)).size).toBeGreaterThan(MiB);
    let n = 0;
    for await (const line of store.rpc.stream({ namespace: `lv-${protocol}`, key })) {
      expect(line.value?.kind.case).toBe("json");
      n++;
    }
    expect(n).toBe(40_000);
  });

  it("honours if_absent and if_revision, and replacing a chunked value frees its chunks", async () => {
    const key = uniqueKey("cond");
    const first = await store.upload(key, new Uint8Array(2 * MiB + 1), { ifAbsent: true });
    expect(await codeOf(store.upload(key, new Uint8Array(10), { ifAbsent: true }))).toBe(Code.Aborted);
    expect(
      await codeOf(store.upload(key, new Uint8Array(10), { ifRevision: first.info.revision + 100n })),
    ).toBe(Code.Aborted);
    const chunksBefore = (await systemKeys("b")).length;
    await store.upload(key, new Uint8Array(3 * MiB + 1), { ifRevision: first.info.revision });
    expect((await systemKeys("b")).length).toBe(chunksBefore - 3 + 4);
    await store.delete(key);
    expect((await systemKeys("b")).length).toBe(chunksBefore - 3);
    expect(await systemKeys("u")).toEqual([]);
  });

  it("puts and gets files, with progress", async () => {
    const dir = tempDir();
    const src = join(dir, "in.bin");
    const dst = join(dir, "out.bin");
    const value = randomBytes(2 * MiB + 99);
    await writeFile(src, value);
    const key = uniqueKey("file");
    const seen: Array<[number, number | undefined]> = [];
    await store.putFile(key, src, { onProgress: (p) => seen.push([p.bytes, p.total]) });
    expect(seen.at(-1)).toEqual([value.length, value.length]);
    const got: number[] = [];
    const info = await store.getFile(key, dst, { onProgress: (p) => got.push(p.bytes) });
    expect(info.size).toBe(value.length);
    expect(got.at(-1)).toBe(value.length);
    expect(sha(await readFile(dst))).toBe(sha(value));
  });
});

describe("chunked values through the anystore HTTP API", () => {
  it("serves them whole and in ranges, with their size and checksum", async () => {
    const store = createStore({ baseUrl: server.url });
    const key = uniqueKey("http");
    const value = new Uint8Array(randomBytes(2 * MiB + 300));
    await store.upload(key, value);
    const whole = await fetch(`${server.url}/anystore/${key}`);
    expect(whole.headers.get("content-length")).toBe(String(value.length));
    expect(sha(new Uint8Array(await whole.arrayBuffer()))).toBe(sha(value));
    const range = await fetch(`${server.url}/anystore/${key}`, {
      headers: { Range: `bytes=${MiB - 2}-${MiB + 2}` },
    });
    expect(range.status).toBe(206);
    expect([...new Uint8Array(await range.arrayBuffer())]).toEqual([...value.subarray(MiB - 2, MiB + 3)]);
    const head = await fetch(`${server.url}/anystore/${key}?checksum=true`, { method: "HEAD" });
    expect(head.headers.get("x-anystore-checksum")).toBe(sha(value));
  });
});

describe("interrupted and corrupted uploads", () => {
  const ns = "lv-interrupt";
  let store: AnykvStore;
  beforeAll(() => {
    store = createStore({ baseUrl: server.url, namespace: ns });
  });

  it("leaves the old value whole when an upload breaks off, and removes the new chunks", async () => {
    const key = uniqueKey("broken");
    const old = new Uint8Array(randomBytes(2 * MiB + 5));
    await store.upload(key, old);
    const chunks = (await systemKeys("b")).length;
    const abort = new AbortController();
    async function* source() {
      yield new Uint8Array(3 * MiB);
      // Visible at no point: while the new chunks are being written, Get still gives the old value.
      expect(sha(join2(await collect(store.download(key))))).toBe(sha(old));
      abort.abort();
      yield new Uint8Array(MiB);
    }
    expect(await codeOf(store.upload(key, source(), { signal: abort.signal }))).toBe(Code.Canceled);
    await expect.poll(async () => (await systemKeys("b")).length, { timeout: 5000 }).toBe(chunks);
    expect(await systemKeys("u")).toEqual([]);
    expect(sha(join2(await collect(store.download(key))))).toBe(sha(old));
  });

  it("stores nothing when the client's sha256 or size differs from what arrived", async () => {
    const key = uniqueKey("corrupt");
    await store.put(key, "old");
    const chunks = (await systemKeys("b")).length;
    const messages = async function* () {
      yield { part: { case: "header" as const, value: { namespace: ns, key } } };
      yield { part: { case: "chunk" as const, value: new Uint8Array(2 * MiB) } };
      yield { part: { case: "finish" as const, value: { sha256: "00".repeat(32), size: BigInt(2 * MiB) } } };
    };
    // biome-ignore lint/suspicious/noExplicitAny: init shapes of a oneof, checked by the RPC
    expect(await codeOf(store.rpc.upload(messages() as any))).toBe(Code.InvalidArgument);
    expect(await store.get(key)).toBe("old");
    expect((await systemKeys("b")).length).toBe(chunks);
  });

  it("stores nothing when the stream ends without its finish message", async () => {
    const key = uniqueKey("cut");
    await store.put(key, "old");
    const messages = async function* () {
      yield { part: { case: "header" as const, value: { namespace: ns, key } } };
      yield { part: { case: "chunk" as const, value: new Uint8Array(2 * MiB) } };
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above
    expect(await codeOf(store.rpc.upload(messages() as any))).toBe(Code.InvalidArgument);
    expect(await store.get(key)).toBe("old");
  });

  it("requires the header first", async () => {
    const messages = async function* () {
      yield { part: { case: "chunk" as const, value: new Uint8Array(1) } };
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above
    expect(await codeOf(store.rpc.upload(messages() as any))).toBe(Code.InvalidArgument);
  });
});
