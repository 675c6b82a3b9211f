import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyIs, anyUnpack, ValueSchema as JsonValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ListKeysRequestSchema,
  PutRequestSchema,
  StoreService,
  UploadRequestSchema,
} from "../../gen/anykv/v1/store_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { codeOf } from "../support/connect-errors.js";
import { PROTOCOLS, transportFor } from "../support/protocols.js";
import { frame, rawConnect, rawGrpc, rawGrpcWeb } from "../support/raw-rpc.js";
import { startTestServer, type TestServer, uniqueKey } from "../support/server.js";

let server: TestServer;
const internalLogs = () => server.logs.errors();
beforeAll(async () => {
  server = await startTestServer({ backend: "memory" });
});
afterEach(() => {
  expect(internalLogs()).toEqual([]);
  server.logs.clear();
});

const PUT = "/anykv.v1.StoreService/Put";

/** The ErrorInfo in a grpc-status-details-bin trailer. */
const errorInfoOf = (detailsBin: string) => {
  const status = fromBinary(StatusSchema, Buffer.from(detailsBin, "base64"));
  const info = status.details.find((d) => anyIs(d, ErrorInfoSchema));
  return info ? anyUnpack(info, ErrorInfoSchema) : undefined;
};
// Field 2 (key) says 5 bytes follow, and one does.
const TRUNCATED = new Uint8Array([0x12, 0x05, 0x41]);
/** A PutRequest whose key is not UTF-8 (0xff 0xfe are never UTF-8). */
const badUtf8 = () => {
  const bytes = toBinary(
    PutRequestSchema,
    create(PutRequestSchema, { key: "AAAA", value: { kind: { case: "text", value: "x" } } }),
  );
  const at = Buffer.from(bytes).indexOf("AAAA");
  bytes.set([0xff, 0xfe], at);
  return bytes;
};

describe("malformed messages and invalid UTF-8 are INVALID_ARGUMENT with a short message", () => {
  it.each([
    ["truncated", TRUNCATED, /not a valid protobuf message/],
    ["invalid UTF-8", badUtf8(), /not valid UTF-8/],
  ] as const)("%s, over gRPC, gRPC-Web and Connect binary", async (_name, bytes, message) => {
    const answers = [
      await rawGrpc(server.url, PUT, frame(bytes)),
      await rawGrpcWeb(server.url, PUT, frame(bytes)),
    ];
    for (const a of answers) {
      expect(a.status).toBe(String(Code.InvalidArgument));
      expect(a.message).toMatch(message);
      expect(a.message).not.toMatch(/parse binary|premature|wire type/);
    }
    // Like every anykv error, they carry an ErrorInfo with their reason.
    expect(errorInfoOf(answers[0]?.detailsBin ?? "")).toMatchObject({
      domain: "anykv",
      reason: "INVALID_ARGUMENT",
    });
    const connect = await rawConnect(server.url, PUT, bytes, "application/proto");
    expect([connect.httpStatus, connect.status]).toEqual([400, "invalid_argument"]);
    expect(connect.details?.map((d) => d.type)).toEqual(["google.rpc.ErrorInfo"]);
    expect(connect.message).toMatch(message);
    expect(await server.store.keys("").next()).toMatchObject({ done: true });
  });

  it("a malformed request of a server-streaming call too", async () => {
    const a = await rawGrpc(server.url, "/anykv.v1.StoreService/ListKeys", frame(TRUNCATED));
    expect([a.status, a.message]).toEqual([
      String(Code.InvalidArgument),
      expect.stringMatching(/not a valid/),
    ]);
  });

  it("a malformed message inside an Upload stream (client streaming) is INVALID_ARGUMENT, not UNAVAILABLE", async () => {
    const header = toBinary(
      UploadRequestSchema,
      create(UploadRequestSchema, { part: { case: "header", value: { key: "up" } } }),
    );
    const body = Buffer.concat([frame(header), frame(TRUNCATED)]);
    const a = await rawGrpc(server.url, "/anykv.v1.StoreService/Upload", body);
    expect([a.status, a.message]).toEqual([
      String(Code.InvalidArgument),
      expect.stringMatching(/not a valid/),
    ]);
    expect(await server.store.get("", "up")).toBeUndefined();
  });

  it("invalid UTF-8 in a Connect JSON body", async () => {
    const body = Buffer.concat([Buffer.from('{"key":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const a = await rawConnect(
      server.url,
      "/anykv.v1.StoreService/Get",
      body as unknown as string,
      "application/json",
    );
    expect([a.httpStatus, a.status]).toEqual([400, "invalid_argument"]);
  });

  it("extra request messages on a server-streaming call (and a unary one) are INVALID_ARGUMENT", async () => {
    const request = toBinary(ListKeysRequestSchema, create(ListKeysRequestSchema, { prefix: "x" }));
    const two = Buffer.concat([frame(request), frame(request)]);
    const stream = await rawGrpc(server.url, "/anykv.v1.StoreService/ListKeys", two);
    expect([stream.status, stream.message]).toEqual([
      String(Code.InvalidArgument),
      expect.stringMatching(/exactly one/),
    ]);
    const getTwice = await rawGrpc(server.url, "/anykv.v1.StoreService/Exists", two);
    expect(getTwice.status).toBe(String(Code.InvalidArgument));
    const none = await rawGrpc(server.url, "/anykv.v1.StoreService/ListKeys", new Uint8Array());
    expect(none.status).toBe(String(Code.InvalidArgument));
  });
});

describe.each(PROTOCOLS.filter((p) => p !== "connect-json"))(
  "json values JSON cannot hold, over %s",
  (protocol) => {
    it.each([
      ["an empty Value", create(JsonValueSchema, {})],
      [
        "an empty Value inside a struct",
        create(JsonValueSchema, { kind: { case: "structValue", value: { fields: { a: {} } } } }),
      ],
      ["NaN", create(JsonValueSchema, { kind: { case: "numberValue", value: Number.NaN } })],
      ["-Infinity", create(JsonValueSchema, { kind: { case: "numberValue", value: -Infinity } })],
    ])("%s is INVALID_ARGUMENT and stores nothing", async (_name, json) => {
      const rpc = createClient(StoreService, transportFor(server.url, protocol));
      const key = uniqueKey("json");
      const err = await rpc
        .put({ key, value: { kind: { case: "json", value: json } } })
        .catch((e: unknown) => e);
      expect(ConnectError.from(err).code).toBe(Code.InvalidArgument);
      expect(ConnectError.from(err).rawMessage).toMatch(/NaN or ±Infinity/);
      expect(await server.store.get("", key)).toBeUndefined();
    });
  },
);

describe("TTLs past the largest Timestamp (9999-12-31)", () => {
  it.each(PROTOCOLS)("are refused up front over %s", async (protocol) => {
    const rpc = createClient(StoreService, transportFor(server.url, protocol));
    const key = uniqueKey("ttl");
    const ttl = { seconds: BigInt(9000 * 365 * 86400), nanos: 0 };
    const err = await rpc
      .put({ key, value: { kind: { case: "text", value: "x" } }, ttl })
      .catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.InvalidArgument);
    expect(ConnectError.from(err).rawMessage).toMatch(/after 9999-12-31/);
    expect(await server.store.get("", key)).toBeUndefined();
  });

  it("stored ones (a default TTL that far) do not make Put, Get or Info fail over JSON", async () => {
    const far = await startTestServer({ backend: "memory", defaultTtlMs: 9000 * 365 * 86_400_000 });
    const rpc = createClient(StoreService, transportFor(far.url, "connect-json"));
    const put = await rpc.put({ key: "far", value: { kind: { case: "text", value: "x" } } });
    expect(put.info?.expiresAt?.seconds).toBe(253402300799n);
    expect((await rpc.get({ key: "far" })).info?.expiresAt?.seconds).toBe(253402300799n);
    expect((await rpc.info({ key: "far" })).info?.key).toBe("far");
  });
});

describe("deadlines and cancellations", () => {
  it("a call past its deadline is DEADLINE_EXCEEDED from the server, not logged", async () => {
    // Watch never ends by itself: the server ends it at the deadline (grpc-timeout 200 ms).
    const req = toBinary(ListKeysRequestSchema, create(ListKeysRequestSchema, {}));
    const a = await rawGrpc(server.url, "/anykv.v1.StoreService/Watch", frame(req), {
      "grpc-timeout": "200m",
    });
    expect(a.status).toBe(String(Code.DeadlineExceeded));
  });

  it.each(PROTOCOLS)(
    "a listing the client cancels or times out is not an internal error (%s)",
    async (protocol) => {
      const rpc = createClient(StoreService, transportFor(server.url, protocol));
      await server.store.write(
        "many",
        Array.from({ length: 3000 }, (_, i) => ({
          type: "put" as const,
          key: `k/${String(i).padStart(5, "0")}`,
          input: { value: new Uint8Array(200), codec: "raw", kind: "raw", model: "", contentType: "" },
        })),
      );
      const abort = new AbortController();
      let seen = 0;
      const cancelled = codeOf(
        (async () => {
          for await (const _ of rpc.listValues({ namespace: "many" }, { signal: abort.signal })) {
            if (++seen === 5) abort.abort();
          }
        })(),
      );
      expect(await cancelled).toBe(Code.Canceled);
      const timedOut = codeOf(
        (async () => {
          for await (const _ of rpc.listValues({ namespace: "many" }, { timeoutMs: 30 }))
            await new Promise((r) => setTimeout(r, 5));
        })(),
      );
      expect(await timedOut).toBe(Code.DeadlineExceeded);
      await new Promise((r) => setTimeout(r, 100)); // the server notices and ends the call
    },
  );
});
