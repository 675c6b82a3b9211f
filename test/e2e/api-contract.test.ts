import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { ModelService } from "../../gen/anykv/v1/model_pb.js";
import {
  ChecksumAlgorithm,
  StoreService,
  type UploadRequest,
  UploadRequestSchema,
} from "../../gen/anykv/v1/store_pb.js";
import type { Mode } from "../../gen/anykv/v1/value_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type AnykvStore, createStore, createTransport, errorInfo } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";

// The API's contract as every language meets it: declared constraints checked before a handler
// runs, errors as google.rpc.Status details, per-item and per-event errors, paging, the
// checksum enum. Over gRPC; test/e2e/grpcurl.test.ts and python-client.test.ts check the same
// details through independent peers.
let server: RunningServer;
let store: AnykvStore;
let rpc: ReturnType<typeof createClient<typeof StoreService>>;
beforeAll(async () => {
  server = await startTestServer();
  store = createStore({ baseUrl: server.url });
  rpc = createClient(StoreService, createTransport(server.url, "grpc"));
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => new ConnectError("the call succeeded"),
    (err: unknown) => ConnectError.from(err),
  );
const fields = (err: ConnectError) =>
  err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);

describe("declared constraints", () => {
  it("refuse a request before it is handled: INVALID_ARGUMENT with one BadRequest violation per rule", async () => {
    const key = uniqueKey("constraints");
    const err = await failure(
      rpc.put({
        namespace: "no spaces",
        key,
        mode: 42 as Mode,
        ttl: { seconds: -1n },
        precondition: { condition: { case: "revision", value: 0n } },
      }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(errorInfo(err)?.reason).toBe("INVALID_ARGUMENT");
    expect(fields(err)).toEqual(["namespace", "value", "mode", "ttl", "precondition.revision"]);
    expect(err.rawMessage).toMatch(/^invalid PutRequest: namespace: .* \(and 4 more\)$/);
    expect(await store.exists(key)).toBe(false);
  });

  it("fail a PutMany as a whole when an item breaks one, and name the item", async () => {
    const good = uniqueKey("constraints");
    const err = await failure(
      rpc.putMany({
        items: [
          { key: good, value: { kind: { case: "text", value: "x" } } },
          { key: "", value: { kind: { case: "text", value: "y" } } },
        ],
      }),
    );
    expect(fields(err)).toEqual(["items[1].key"]);
    expect(await store.exists(good)).toBe(false);
  });

  it("check every message of a client stream (Upload)", async () => {
    const key = uniqueKey("constraints");
    async function* messages(): AsyncGenerator<UploadRequest> {
      yield create(UploadRequestSchema, { part: { case: "header", value: { key } } });
      yield create(UploadRequestSchema, { part: { case: "chunk", value: new Uint8Array([1, 2]) } });
      yield create(UploadRequestSchema, {
        part: { case: "finish", value: { sha256: "NOT-HEX", size: -1n } },
      });
    }
    const err = await failure(rpc.upload(messages()));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(fields(err)).toEqual(["finish.sha256", "finish.size"]);
    expect(await store.exists(key)).toBe(false);
  });
});

describe("errors of items and events", () => {
  it("give each failed item the status and ErrorInfo a call would have had", async () => {
    const key = uniqueKey("items");
    const info = await store.put(key, "v");
    const [put] = await store.putMany([{ key, value: "w", ifAbsent: true }]);
    expect(put?.error?.code).toBe(Code.Aborted);
    expect(errorInfo(put?.error)).toEqual({
      reason: "CONFLICT",
      metadata: { key, precondition: "absent", revision: expect.any(String) },
    });
    // A revision the key is not at (1 may be its very revision on a fresh store).
    const [deleted] = await store.deleteMany([{ key, ifRevision: info!.revision + 1000n }]);
    expect(errorInfo(deleted?.error)?.reason).toBe("CONFLICT");
    const [got] = await store.getMany(["../bad"]);
    expect(errorInfo(got?.error)?.reason).toBe("INVALID_KEY");
  });

  it("report a Watch value that does not decode in the mode as that event's error", async () => {
    const base = uniqueKey("watch-error");
    const abort = new AbortController();
    const events = store.watch({ prefix: base, includeValues: true, mode: "json", signal: abort.signal });
    const iterator = events[Symbol.asyncIterator]();
    const first = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.put(`${base}/text`, "not json");
    await store.put(`${base}/json`, { ok: true });
    const text = (await first).value!;
    const json = (await iterator.next()).value!;
    abort.abort();
    expect(text.value).toBeUndefined();
    expect(text.error?.code).toBe(Code.FailedPrecondition);
    expect(errorInfo(text.error)?.reason).toBe("DECODE_FAILED");
    expect(json).toMatchObject({ key: `${base}/json`, value: { ok: true } });
    expect(json.error).toBeUndefined();
  });
});

describe("ListModels", () => {
  it("pages by name with page_size and an opaque page_token", async () => {
    const models = createClient(ModelService, createTransport(server.url, "grpc"));
    const names = ["page.a", "page.b", "page.c", "page.d", "page.e"];
    for (const name of names) await store.models.registerJsonSchema(name, { type: "object" });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const res = await models.listModels({ pageSize: 2n, pageToken });
      expect(res.models.length).toBeLessThanOrEqual(2);
      seen.push(...res.models.map((m) => m.name));
      pageToken = res.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(seen.filter((n) => n.startsWith("page."))).toEqual(names);
    expect(pages).toBe(Math.ceil(seen.length / 2));
    expect((await store.models.list()).map((m) => m.name)).toEqual(seen);
    const bad = await failure(models.listModels({ pageToken: "not a token!" }));
    expect(bad.code).toBe(Code.InvalidArgument);
  });
});

describe("Checksum", () => {
  it("computes every algorithm of the enum, SHA-256 when unspecified", async () => {
    const key = uniqueKey("checksum");
    await store.put(key, new Uint8Array([1, 2, 3]), { mode: "raw" });
    const names: Record<string, string> = {
      MD5: "md5",
      SHA1: "sha1",
      SHA224: "sha224",
      SHA256: "sha256",
      SHA384: "sha384",
      SHA512: "sha512",
      SHA3_256: "sha3-256",
      SHA3_512: "sha3-512",
    };
    for (const [member, name] of Object.entries(names)) {
      const algorithm = ChecksumAlgorithm[member as keyof typeof ChecksumAlgorithm];
      const res = await rpc.checksum({ key, algorithm });
      expect(res.algorithm).toBe(algorithm);
      expect(res.checksum).toBe(
        createHash(name)
          .update(new Uint8Array([1, 2, 3]))
          .digest("hex"),
      );
      expect(await store.checksum(key, { algorithm: name })).toBe(res.checksum);
    }
    // Every defined value is covered above (UNSPECIFIED aside).
    expect(Object.keys(names).length).toBe(Object.keys(ChecksumAlgorithm).length / 2 - 1);
    expect((await rpc.checksum({ key })).algorithm).toBe(ChecksumAlgorithm.SHA256);
    expect((await failure(rpc.checksum({ key, algorithm: 99 as ChecksumAlgorithm }))).code).toBe(
      Code.InvalidArgument,
    );
  });
});
