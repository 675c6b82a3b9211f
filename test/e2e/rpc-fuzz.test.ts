import { createHash } from "node:crypto";
import { create, type DescMessage, fromJson, type MessageInitShape, toJsonString } from "@bufbuild/protobuf";
import { type Value as JsonValue, ValueSchema as JsonValueSchema } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import fc from "fast-check";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ModelService } from "../../gen/anykv/v1/model_pb.js";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import type { DataSchema, ValueSchema } from "../../gen/anykv/v1/value_pb.js";
import type { RunningServer } from "../../src/server/server.js";
import { PROTOCOLS, type TestProtocol, transportFor } from "../support/protocols.js";
import { frame, type RawAnswer, rawConnect, rawGrpc, rawGrpcWeb } from "../support/raw-rpc.js";
import { startTestServer, type TestServer } from "../support/server.js";

/**
 * The RPC fuzzer (issue #14): random requests to every StoreService and ModelService method,
 * over every protocol, through real sockets to a real server on LevelDB. Every answer must be
 * OK or a code the README documents for client mistakes, never INTERNAL, UNKNOWN, UNIMPLEMENTED
 * or UNAVAILABLE, and no internal error may be logged; a write that is refused must leave the
 * backend exactly as it was. A second property sends random bytes as unary request bodies.
 */

/** The codes the README's error tables give for what a client sends (the backend is up). */
const DOCUMENTED = new Set<Code>([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.Aborted,
  Code.ResourceExhausted,
  Code.PermissionDenied,
  Code.OutOfRange,
  Code.DeadlineExceeded,
  Code.Canceled,
]);

const WRITES = new Set([
  "put",
  "delete",
  "touch",
  "pop",
  "putMany",
  "deleteMany",
  "batch",
  "deletePrefix",
  "upload",
  "registerModels",
  "deleteModel",
]);

// ---- arbitraries: a small key space (so that calls meet each other's keys) plus edge cases

const namespace = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom("", "", "fz", "fz/sub") },
  { weight: 1, arbitrary: fc.constantFrom("bad ns!", "x".repeat(200)) },
);
const key = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("a", "a/b", "a/b/c", "d.json", "lines", "é/ü") },
  {
    weight: 2,
    arbitrary: fc.constantFrom("", "/lead", "a/../b", "a\u0000b", "a//b/", "./a", "\u0007", "k".repeat(1100)),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const mode = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(0, 0, 1, 2, 3, 4) },
  { weight: 1, arbitrary: fc.integer({ min: 5, max: 99 }) },
);
const model = fc.constantFrom("", "", "", "", "", "", "py.Fz", "no.Such", "acme.v1.Nope");
const ttl = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { seconds: 0n, nanos: 0 },
      { seconds: 3600n, nanos: 500 },
      { seconds: -1n, nanos: 0 },
      { seconds: 0n, nanos: -5 },
      { seconds: 9000n * 365n * 86400n, nanos: 0 },
      { seconds: 315_576_000_000n, nanos: 0 },
    ),
  },
);
const ifRevision = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.bigInt({ min: -2n, max: 40n }) },
);
// A write's precondition: none, a revision (zero and negative ones break the declared
// constraint), absent (true, or the false that the constraint refuses), or an empty oneof.
const precondition = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      ifRevision
        .filter((r) => r !== undefined)
        .map((value) => ({ condition: { case: "revision" as const, value } })),
      fc.boolean().map((value) => ({ condition: { case: "absent" as const, value } })),
      fc.constant({ condition: { case: undefined } }),
    ),
  },
);

const jsonValue: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((j) => fromJson(JsonValueSchema, j as never)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      create(JsonValueSchema, {}),
      create(JsonValueSchema, { kind: { case: "numberValue", value: Number.NaN } }),
      create(JsonValueSchema, { kind: { case: "numberValue", value: Number.POSITIVE_INFINITY } }),
      create(JsonValueSchema, { kind: { case: "listValue", value: { values: [{}] } } }),
    ),
  },
);

type DataInit = MessageInitShape<typeof DataSchema>;
const { data } = fc.letrec<{ data: DataInit; list: DataInit; map: DataInit }>((tie) => ({
  data: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant({ kind: { case: "nullValue", value: 0 } } as DataInit),
    fc.boolean().map((value) => ({ kind: { case: "boolValue", value } }) as DataInit),
    fc
      .oneof(fc.bigInt().map(String), fc.constantFrom("", "12x", "-", "1e5", " 7"))
      .map((value) => ({ kind: { case: "intValue", value } }) as DataInit),
    fc.double().map((value) => ({ kind: { case: "floatValue", value } }) as DataInit),
    fc.string({ maxLength: 8 }).map((value) => ({ kind: { case: "stringValue", value } }) as DataInit),
    fc.uint8Array({ maxLength: 8 }).map((value) => ({ kind: { case: "bytesValue", value } }) as DataInit),
    fc
      .record({
        year: fc.integer({ min: -1, max: 10_000 }),
        month: fc.integer({ min: 0, max: 13 }),
        day: fc.integer({ min: 0, max: 32 }),
      })
      .map((value) => ({ kind: { case: "dateValue", value } }) as DataInit),
    fc
      .record({ language: fc.constantFrom("javascript", "python"), source: fc.constantFrom("(x) => x", "") })
      .map((value) => ({ kind: { case: "codeValue", value } }) as DataInit),
    tie("list"),
    tie("map"),
  ),
  list: fc
    .tuple(
      fc.constantFrom("listValue", "tupleValue", "setValue", "frozensetValue"),
      fc.array(tie("data"), { maxLength: 3 }),
    )
    .map(([kind, items]) => ({ kind: { case: kind, value: { items } } }) as DataInit),
  map: fc
    .array(fc.record({ key: tie("data"), value: tie("data") }), { maxLength: 3 })
    .map((entries) => ({ kind: { case: "mapValue", value: { entries } } }) as DataInit),
}));

type ValueInit = MessageInitShape<typeof ValueSchema>;
const value: fc.Arbitrary<ValueInit | undefined> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .uint8Array({ maxLength: 32 })
      .map((v) => ({ kind: { case: "raw", value: v } }) as ValueInit),
  },
  {
    weight: 3,
    arbitrary: fc.string({ maxLength: 16 }).map((v) => ({ kind: { case: "text", value: v } }) as ValueInit),
  },
  { weight: 3, arbitrary: jsonValue.map((v) => ({ kind: { case: "json", value: v } }) as ValueInit) },
  { weight: 2, arbitrary: data.map((v) => ({ kind: { case: "data", value: v } }) as ValueInit) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        typeUrl: fc.constantFrom("type.googleapis.com/py.Fz", "x", ""),
        value: fc.uint8Array({ maxLength: 8 }),
      })
      .map((v) => ({ kind: { case: "message", value: v } }) as ValueInit),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { kind: { case: "code", value: { language: "javascript", source: "(x) => x" } } } as ValueInit,
      undefined,
    ),
  },
);

const putRequest = fc.record({ namespace, key, value, mode, model, ttl, precondition });
const deleteRequest = fc.record({ namespace, key, precondition });
// Items of PutMany and ops of Batch carry no namespace (the request's applies).
const putItem = fc.record({ key, value, mode, model, ttl, precondition });
const deleteItem = fc.record({ key, precondition });
const glob = fc.constantFrom("", "*", "**/*.json", "a/**", "?", "[", "**/**/x", "{a,b}");
const listing = {
  namespace,
  prefix: fc.constantFrom("", "a", "a/b", "..", "/x"),
  excludePrefix: fc.constantFrom("", "a/b", "zz"),
  glob,
  limit: fc.bigInt({ min: -1n, max: 4n }),
  reverse: fc.boolean(),
  startAfter: fc.constantFrom("", "a", "a/b"),
};
const uploadMessage = fc.oneof(
  fc
    .record({
      namespace,
      key,
      contentType: fc.constantFrom("", "text/plain"),
      ttl,
      precondition,
    })
    .map((value) => ({ part: { case: "header" as const, value } })),
  fc.uint8Array({ maxLength: 64 }).map((value) => ({ part: { case: "chunk" as const, value } })),
  fc
    .record({
      sha256: fc.constantFrom("", "00", createHash("sha256").update("").digest("hex")),
      size: fc.option(fc.bigInt({ min: -1n, max: 70n }), { nil: undefined }),
    })
    .map((value) => ({ part: { case: "finish" as const, value } })),
  fc.constant({ part: { case: undefined } }),
);
const schema = fc.oneof(
  fc.constant({ type: "object", required: ["name"] }),
  fc.constant({ type: "nonsense" }),
  fc.jsonValue({ maxDepth: 2 }).filter((j) => j !== null && typeof j === "object" && !Array.isArray(j)),
);

/**
 * One round: a call of every method of both services, in a fixed order, each with a random
 * request (or request stream) over a random protocol. Rounds, not single calls, so that every
 * run reaches every method however soon the time limit stops it.
 */
const round = fc.tuple(
  ...(
    [
      ["put", putRequest],
      [
        "get",
        fc.record({
          namespace,
          key,
          mode,
          model,
          raiseOnNonexist: fc.boolean(),
          modelValidate: fc.boolean(),
        }),
      ],
      ["pop", fc.record({ namespace, key, mode, model, raiseOnNonexist: fc.boolean() })],
      ["delete", deleteRequest],
      ["exists", fc.record({ namespace, key })],
      ["info", fc.record({ namespace, key })],
      ["touch", fc.record({ namespace, key, ttl })],
      ["checksum", fc.record({ namespace, key, algorithm: fc.constantFrom(0, 1, 4, 8, 9, 99) })],
      ["listKeys", fc.record({ ...listing, batchSize: fc.bigInt({ min: -1n, max: 3n }) })],
      ["listValues", fc.record({ ...listing, mode, model })],
      ["stream", fc.record({ namespace, key, mode, model })],
      ["getMany", fc.record({ namespace, keys: fc.array(key, { maxLength: 4 }), mode, model })],
      ["putMany", fc.record({ namespace, items: fc.array(putItem, { maxLength: 3 }) })],
      ["deleteMany", fc.record({ namespace, items: fc.array(deleteItem, { maxLength: 3 }) })],
      [
        "batch",
        fc.record({
          namespace,
          ops: fc.array(
            fc.oneof(
              putItem.map((value) => ({ op: { case: "put" as const, value } })),
              deleteItem.map((value) => ({ op: { case: "delete" as const, value } })),
              fc.constant({ op: { case: undefined } }),
            ),
            { maxLength: 3 },
          ),
        }),
      ],
      [
        "deletePrefix",
        fc.record({ namespace, prefix: listing.prefix, excludePrefix: listing.excludePrefix, glob }),
      ],
      [
        "upload",
        fc.oneof(
          fc.array(uploadMessage, { maxLength: 4 }),
          fc
            .tuple(namespace, key, fc.array(fc.uint8Array({ maxLength: 32 }), { maxLength: 3 }), fc.boolean())
            .map(([ns, k, chunks, honest]) => {
              const all = Buffer.concat(chunks);
              const sha256 = honest ? createHash("sha256").update(all).digest("hex") : "ab";
              return [
                { part: { case: "header" as const, value: { namespace: ns, key: k } } },
                ...chunks.map((value) => ({ part: { case: "chunk" as const, value } })),
                { part: { case: "finish" as const, value: { sha256, size: BigInt(all.length) } } },
              ];
            }),
        ),
      ],
      [
        "download",
        fc.record({
          namespace,
          key,
          offset: fc.bigInt({ min: -2n, max: 40n }),
          length: fc.bigInt({ min: -2n, max: 40n }),
          ifRevision,
        }),
      ],
      [
        "watch",
        fc.record({
          namespace,
          prefix: listing.prefix,
          startRevision: fc.bigInt({ min: -1n, max: 10_000n }),
          includeValues: fc.boolean(),
          mode,
        }),
      ],
      [
        "registerModels",
        fc.record({
          descriptorSet: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ maxLength: 24 })),
          jsonSchemas: fc.array(
            fc.record({ name: fc.constantFrom("py.Fz", "", "bad name", "py.Other"), schema }),
            {
              maxLength: 2,
            },
          ),
          replace: fc.boolean(),
        }),
      ],
      [
        "listModels",
        fc.record({
          kind: fc.integer({ min: 0, max: 4 }),
          pageSize: fc.bigInt({ min: -1n, max: 3n }),
          pageToken: fc.constantFrom("", "cHkuRno", "not a token"),
        }),
      ],
      ["getModel", fc.record({ name: model })],
      ["deleteModel", fc.record({ name: model })],
    ] as const
  ).map(([method, request]) =>
    fc.record({
      method: fc.constant(method as string),
      protocol: fc.constantFrom(...PROTOCOLS),
      target: fc.nat({ max: 1 }),
      req: request as fc.Arbitrary<unknown>,
    }),
  ),
);

// ---- the servers and the calls

type Clients = Map<TestProtocol, { store: Client<typeof StoreService>; models: Client<typeof ModelService> }>;
/** Two servers on LevelDB: the defaults (code off), and one with code on, a default model and tight limits. */
const targets: { server: TestServer; clients: Clients }[] = [];
/** Internal errors either server logged (error level). */
const internalErrors = () => targets.flatMap((t) => t.server.logs.errors());
beforeAll(async () => {
  const servers = await Promise.all([
    startTestServer(),
    startTestServer({
      allowCode: true,
      defaultModel: "py.Fz",
      maxBatchSize: 2,
      maxDepth: 4,
      maxKeyBytes: 16,
    }),
  ]);
  for (const server of servers) {
    const clients: Clients = new Map();
    for (const protocol of PROTOCOLS) {
      const transport = transportFor(server.url, protocol);
      clients.set(protocol, {
        store: createClient(StoreService, transport),
        models: createClient(ModelService, transport),
      });
    }
    await clients.get("grpc")?.models.registerModels({
      jsonSchemas: [{ name: "py.Fz", schema: { type: "object", required: ["name"] } as never }],
    });
    targets.push({ server, clients });
  }
});
// A block: a function returned from beforeEach would be run as its cleanup.
beforeEach(() => {
  for (const t of targets) t.server.logs.clear();
});

/** The whole backend, record by record: a refused write must leave it as it was. */
async function snapshot(server: RunningServer): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, record] of server.store.backend.scan({}))
    out.push(`${k} ${record.meta.revision} ${createHash("sha1").update(record.value).digest("hex")}`);
  return out;
}

/** Whether connect-es can write the request in this protocol (JSON cannot hold NaN, Anys of unknown types…). */
function encodable(protocol: TestProtocol, method: string, req: unknown): boolean {
  if (protocol !== "connect-json") return true;
  const desc =
    (StoreService.method as Record<string, { input: DescMessage }>)[method] ??
    (ModelService.method as Record<string, { input: DescMessage }>)[method];
  const messages = method === "upload" ? (req as unknown[]) : [req];
  try {
    for (const m of messages) toJsonString(desc!.input, create(desc!.input, m as never));
    return true;
  } catch {
    return false;
  }
}

/** Runs one call to its end; the error's code, or "ok". */
async function invoke(
  clients: Clients,
  protocol: TestProtocol,
  method: string,
  req: unknown,
): Promise<Code | "ok"> {
  const { store, models } = clients.get(protocol)!;
  const client = (method in ModelService.method ? models : store) as unknown as Record<
    string,
    (req: unknown, options: object) => unknown
  >;
  const options = { timeoutMs: method === "watch" ? 150 : 5000 };
  try {
    if (method === "upload") {
      await client.upload!(
        (async function* () {
          yield* req as unknown[];
        })(),
        options,
      );
    } else {
      const answer = client[method]!(req, options);
      if (answer && typeof answer === "object" && Symbol.asyncIterator in answer) {
        let n = 0;
        for await (const _ of answer as AsyncIterable<unknown>) if (++n > 50) break;
      } else await answer;
    }
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe("RPC fuzzer", () => {
  it("answers every random call with OK or a documented code, and a refused write changes nothing", async () => {
    const seen = new Map<string, number>();
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(round, async (calls) => {
        for (const { method, protocol, target, req } of calls) {
          if (!encodable(protocol, method, req)) continue;
          const { server, clients } = targets[target]!;
          const before = WRITES.has(method) ? await snapshot(server) : [];
          const code = await invoke(clients, protocol, method, req);
          seen.set(method, (seen.get(method) ?? 0) + 1);
          if (process.env.FUZZ_STATS) {
            const name = `${method} ${code === "ok" ? "ok" : Code[code]}`;
            codes.set(name, (codes.get(name) ?? 0) + 1);
          }
          if (code !== "ok")
            expect(DOCUMENTED, `${method} over ${protocol} answered ${Code[code]}`).toContain(code);
          // A write refused as a whole changes nothing (PutMany and DeleteMany report per item).
          if (code !== "ok" && code !== Code.DeadlineExceeded && WRITES.has(method))
            expect(
              await snapshot(server),
              `${method} over ${protocol} failed with ${Code[code]} but wrote`,
            ).toEqual(before);
          expect(internalErrors()).toEqual([]);
        }
      }),
      { numRuns: 30, interruptAfterTimeLimit: 12_000 },
    );
    // FUZZ_STATS=1 prints how often each method answered each code.
    if (process.env.FUZZ_STATS)
      console.log(
        [...codes]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join("\n"),
      );
    // Every method was called (the property ran long enough to reach them all).
    expect([...seen.keys()].sort()).toEqual(
      [...Object.keys(StoreService.method), ...Object.keys(ModelService.method)].sort(),
    );
  }, 60_000);

  it("answers random bytes as a unary request with OK or INVALID_ARGUMENT, over every binary protocol", async () => {
    const unary = [...StoreService.methods, ...ModelService.methods].filter((m) => m.methodKind === "unary");
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...unary),
        fc.constantFrom("grpc", "grpc-web", "connect"),
        fc.uint8Array({ maxLength: 48 }),
        async (method, protocol, bytes) => {
          const { server } = targets[0]!;
          const path = `/${method.parent.typeName}/${method.name}`;
          let answer: RawAnswer;
          if (protocol === "grpc") answer = await rawGrpc(server.url, path, frame(bytes));
          else if (protocol === "grpc-web") answer = await rawGrpcWeb(server.url, path, frame(bytes));
          else answer = await rawConnect(server.url, path, bytes, "application/proto");
          const code =
            protocol === "connect"
              ? answer.status
              : Code[Number(answer.status) as Code]?.replace(
                  /[A-Z]/g,
                  (c, i) => (i ? "_" : "") + c.toLowerCase(),
                );
          const ok = ["", "ok", undefined];
          const documented = [...DOCUMENTED].map((c) =>
            Code[c].replace(/[A-Z]/g, (ch, i) => (i ? "_" : "") + ch.toLowerCase()),
          );
          if (!ok.includes(code))
            expect(documented, `${path} over ${protocol}: ${answer.message}`).toContain(code);
        },
      ),
      { numRuns: 150, interruptAfterTimeLimit: 5_000 },
    );
    expect(internalErrors()).toEqual([]);
  }, 30_000);
});
