import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { Mode } from "../../gen/anykv/v1/value_pb.js";
import { type AnykvStore, createStore } from "../../src/client/index.js";
import { data } from "../../src/codec/data.js";
import { encodePickle } from "../../src/codec/pickle/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { codeOf } from "../support/connect-errors.js";
import { startTestServer, uniqueKey } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

/** What anykv's pickle writer makes of a code value: a plain dict, Python's view of it. */
const MARKER = encodePickle(data.code("javascript", "() => globalThis.ranStoredCode = true"));
const MARKER_DICT = {
  __anykv_code__: { language: "javascript", source: "() => globalThis.ranStoredCode = true" },
};

let open: RunningServer; // --allow-code
let strict: RunningServer; // the default: no code
beforeAll(async () => {
  [open, strict] = await Promise.all([
    startTestServer({ allowCode: true, backend: "memory" }),
    startTestServer({ backend: "memory" }),
  ]);
});

describe("functions on a server started with --allow-code, read by a client with trustCode", () => {
  let store: AnykvStore;
  beforeAll(() => {
    store = createStore({ baseUrl: open.url, namespace: "fn", trustCode: true });
  });

  it("runs the seed's lambda example", async () => {
    await store.put("func", (x: number) => x * 2);
    const func = await store.get<(x: number) => number>("func");
    expect(func(2)).toBe(4);
    expect(await store.info("func")).toMatchObject({ codec: "pickle", kind: "code" });
  });

  it("keeps functions inside structures", async () => {
    await store.put("funcs", { inc: (x: number) => x + 1, name: "ops" });
    const back = await store.get<{ inc: (x: number) => number; name: string }>("funcs");
    expect(back.inc(41)).toBe(42);
    expect(back.name).toBe("ops");
  });

  it("does not revive code for a client that leaves trustCode at its default (false)", async () => {
    await store.put("func-untrusted", (x: number) => x * 3);
    const careful = createStore({ baseUrl: open.url, namespace: "fn" });
    await expect(careful.get("func-untrusted")).rejects.toThrow(/pass trustCode: true/);
    expect(await careful.get("func-untrusted", { mode: "raw" })).toBeInstanceOf(Uint8Array);
  });

  it("refuses closures before sending anything", async () => {
    const factor = 5;
    await expect(store.put("closure", (x: number) => x * factor)).rejects.toThrow(
      /uses "factor" from outside/,
    );
    expect(await store.exists("closure")).toBe(false);
  });
});

describe("a server without --allow-code (the default)", () => {
  it("refuses code on every way in: Put, nested, PutMany and Batch; nothing is stored", async () => {
    const s = createStore({ baseUrl: strict.url, namespace: "no-code" });
    const err = await s.put("f", (x: number) => x).catch((e: unknown) => e as ConnectError);
    expect((err as ConnectError).code).toBe(Code.PermissionDenied);
    expect((err as ConnectError).rawMessage).toContain("--allow-code");
    expect(await codeOf(s.put("g", { f: (x: number) => x }))).toBe(Code.PermissionDenied);
    const [item] = await s.putMany([{ key: "h", value: [(x: number) => x] }]);
    expect(ConnectError.from(item?.error).code).toBe(Code.PermissionDenied);
    expect(
      await codeOf(
        s.batch([
          { type: "put", key: "ok", value: 1 },
          { type: "put", key: "i", value: (x: number) => x },
        ]),
      ),
    ).toBe(Code.PermissionDenied);
    for (const key of ["f", "g", "h", "i", "ok"]) expect(await s.exists(key)).toBe(false);
  });

  it("serves code stored by an --allow-code server as the plain dict it is pickled as", async () => {
    const dir = join(tempDir(), "data");
    const before = await startTestServer({ allowCode: true, data: dir });
    await createStore({ baseUrl: before.url }).put("legacy", { run: (x: number) => x });
    await before.close();
    const after = await startTestServer({ data: dir });
    const trusting = createStore({ baseUrl: after.url, trustCode: true });
    const dict = { run: { __anykv_code__: { language: "javascript", source: "(x) => x" } } };
    expect(await trusting.get("legacy")).toEqual(dict);
    expect(await trusting.get("legacy", { mode: "pickle" })).toEqual(dict);
  });
});

describe("code cannot enter as bytes, even on an --allow-code server", () => {
  let store: AnykvStore;
  beforeAll(() => {
    store = createStore({ baseUrl: open.url, namespace: "", trustCode: true });
  });
  const kindOf = async (key: string, mode: Mode) => (await store.rpc.get({ key, mode })).value?.kind.case;

  it("a raw put of a pickled code marker reads back as bytes or as a dict, never as code", async () => {
    const key = uniqueKey("raw-marker");
    await store.rpc.put({ key, value: { kind: { case: "raw", value: MARKER } }, mode: Mode.RAW });
    expect(await kindOf(key, Mode.UNSPECIFIED)).toBe("raw");
    expect(await kindOf(key, Mode.PICKLE)).toBe("data");
    expect(await store.get(key, { mode: "pickle" })).toEqual(MARKER_DICT);
    const [item] = await store.getMany([key], { mode: "pickle" });
    expect(item?.value).toEqual(MARKER_DICT);
  });

  it("bytes put through /anystore are guessed as data, never as code", async () => {
    const key = uniqueKey("http-marker");
    const put = await fetch(`${open.url}/anystore/${key}`, { method: "PUT", body: MARKER });
    expect(put.status).toBe(201);
    expect(await kindOf(key, Mode.UNSPECIFIED)).toBe("data");
    expect(await kindOf(key, Mode.PICKLE)).toBe("data");
    expect(await store.get(key)).toEqual(MARKER_DICT);
    for await (const item of store.values({ prefix: key })) expect(item.value).toEqual(MARKER_DICT);
  });

  it("an Upload of a pickled code marker is bytes, and a dict in pickle mode", async () => {
    const key = uniqueKey("upload-marker");
    await store.upload(key, [MARKER]);
    expect(await kindOf(key, Mode.UNSPECIFIED)).toBe("raw");
    expect(await store.get(key, { mode: "pickle" })).toEqual(MARKER_DICT);
    expect((globalThis as { ranStoredCode?: boolean }).ranStoredCode).toBeUndefined();
  });
});

describe("--default-model on every way in", () => {
  it("/anystore and Upload refuse what gRPC's Put refuses; JSON that fits is stored as Put stores it", async () => {
    const server = await startTestServer({ backend: "memory", defaultModel: "py.Thing" });
    const store = createStore({ baseUrl: server.url });
    await store.models.registerJsonSchema("py.Thing", {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string" } },
    });
    const put = (key: string, body: string) =>
      fetch(`${server.url}/anystore/${key}`, { method: "PUT", body }).then(async (r) => ({
        status: r.status,
        detail: ((await r.json().catch(() => ({}))) as { detail?: string }).detail,
      }));
    expect(await codeOf(store.put("grpc-bad", { other: 1 }))).toBe(Code.InvalidArgument);
    expect(await put("http-bad", '{"other": 1}')).toMatchObject({ status: 400 });
    expect(await put("http-text", "not json")).toEqual({
      status: 400,
      detail: expect.stringContaining("--default-model"),
    });
    expect(await codeOf(store.upload("up", [new TextEncoder().encode('{"name": "x"}')]))).toBe(
      Code.InvalidArgument,
    );
    for (const key of ["grpc-bad", "http-bad", "http-text", "up"])
      expect(await store.exists(key)).toBe(false);

    expect(await put("http-good", '{"name": "ada"}')).toMatchObject({ status: 201 });
    expect(await store.info("http-good")).toMatchObject({ model: "py.Thing", codec: "json", kind: "json" });
    expect(await store.get("http-good")).toEqual({ name: "ada" });
  });
});
