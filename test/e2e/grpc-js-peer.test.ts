import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";

/**
 * An independent gRPC peer: @grpc/grpc-js with the .proto files loaded at run
 * time, sharing no code with anykv's generated stubs or client.
 */
type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
type Unary = (req: object, cb: Callback<Record<string, unknown>>) => void;
type StoreStub = grpc.Client &
  Record<string, Unary> & {
    ListKeys(req: object): grpc.ClientReadableStream<{ keys: string[] }>;
  };

let server: RunningServer;
let stub: StoreStub;

const call = (method: string, req: object) =>
  new Promise<Record<string, unknown>>((resolve, reject) =>
    stub[method]!.call(stub, req, (err, res) => (err ? reject(err) : resolve(res))),
  );
const codeOf = (method: string, req: object) =>
  call(method, req).then(
    () => "ok",
    (err: grpc.ServiceError) => err.code,
  );

beforeAll(async () => {
  server = await startTestServer();
  const definition = protoLoader.loadSync(join(import.meta.dirname, "../../proto/anykv/v1/store.proto"), {
    includeDirs: [join(import.meta.dirname, "../../proto")],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    anykv: { v1: { StoreService: new (address: string, creds: grpc.ChannelCredentials) => StoreStub } };
  };
  stub = new pkg.anykv.v1.StoreService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  return () => stub.close();
});

describe("an independent @grpc/grpc-js client", () => {
  it("puts and gets every JSON-typed kind", async () => {
    const key = uniqueKey();
    const put = await call("Put", { key, value: { text: "hello" } });
    expect(put).toMatchObject({ stored: true, info: { key, codec: "text", kind: "text" } });
    const got = await call("Get", { key });
    expect(got).toMatchObject({ found: true, value: { text: "hello", kind: "text" } });

    await call("Put", { key: `${key}-raw`, value: { raw: Buffer.from([0, 1, 255]) } });
    const raw = await call("Get", { key: `${key}-raw` });
    expect([...(raw.value as { raw: Buffer }).raw]).toEqual([0, 1, 255]);

    const json = {
      structValue: { fields: { a: { numberValue: 1 }, b: { listValue: { values: [{ boolValue: true }] } } } },
    };
    await call("Put", { key: `${key}-json`, value: { json } });
    const gotJson = await call("Get", { key: `${key}-json` });
    expect(gotJson.value).toMatchObject({ json: { structValue: { fields: { a: { numberValue: 1 } } } } });

    const big = { intValue: "123456789012345678901234567890" };
    await call("Put", {
      key: `${key}-data`,
      value: { data: { listValue: { items: [big, { stringValue: "x" }] } } },
    });
    const gotData = await call("Get", { key: `${key}-data`, mode: "MODE_PICKLE" });
    expect(gotData.value).toMatchObject({ data: { listValue: { items: [big, { stringValue: "x" }] } } });
  });

  it("streams ListKeys", async () => {
    const base = uniqueKey("grpcjs-list");
    for (const k of ["a", "b", "c"]) await call("Put", { key: `${base}/${k}`, value: { text: k } });
    const keys: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = stub.ListKeys({ prefix: base });
      stream.on("data", (res) => keys.push(...res.keys));
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    expect(keys).toEqual(["a", "b", "c"].map((k) => `${base}/${k}`));
  });

  it("sees the documented status codes", async () => {
    expect(await codeOf("Get", { key: uniqueKey() })).toBe(grpc.status.NOT_FOUND);
    expect(await codeOf("Get", { key: "../x" })).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await codeOf("Put", { key: "k" })).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await codeOf("Put", { key: "k", value: { text: "t" }, mode: "MODE_RAW" })).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    const key = uniqueKey();
    await call("Put", { key, value: { text: "not json" } });
    expect(await codeOf("Get", { key, mode: "MODE_JSON" })).toBe(grpc.status.FAILED_PRECONDITION);
    expect(await codeOf("Put", { key: "x", value: { raw: Buffer.alloc(5 * 1024 * 1024) } })).toBe(
      grpc.status.RESOURCE_EXHAUSTED,
    );
  });
});
