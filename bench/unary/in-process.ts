/**
 * The server's own CPU per Put and Get without the network: what the gRPC fast path runs between
 * the request's bytes and the response's bytes (fromBinary, the router's interceptors, the
 * StoreService handler with model refresh, the store, the LevelDB backend with group commit,
 * toBinary), 64 calls in flight, 100-byte text values over 1000 keys. Everything runs in this
 * process, so process.cpuUsage() counts the handler chain and LevelDB's threads, and nothing of
 * HTTP/2, the socket or a load generator. On a busy machine this is far steadier than the figures
 * over the network (bench/unary), and it tells the request path's cost (the difference) apart.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/unary/in-process.js [calls=20000] [rounds=3]
 *
 * BENCH_SYNC=none uses `--sync none`. BENCH_IN_FLIGHT (default 64) sets the calls in flight, and so
 * the size of the group commits: a Put's cost is a part per write plus a part per group, which
 * this tells apart (bench/README.md, twelfth pass).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, fromBinary, isMessage, type Message, toBinary } from "@bufbuild/protobuf";
import type { UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { GetRequestSchema, PutRequestSchema, StoreService } from "../../gen/anykv/v1/store_pb.js";
import { openLevelBackend } from "../../src/backend/leveldb-backend.js";
import { createErrorInterceptor } from "../../src/server/error-mapping.js";
import { withModelRefresh } from "../../src/server/model-refresh.js";
import { openModels } from "../../src/server/models.js";
import { createValidationInterceptor } from "../../src/server/request-validation.js";
import { resolveServerOptions } from "../../src/server/server-options.js";
import { createStoreService } from "../../src/server/store-service.js";
import { createStreamLimiter } from "../../src/server/stream-limits.js";
import { Store } from "../../src/store/store.js";
import { median } from "../support/stats.js";

const CALLS = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const KEYS = 1000;

const dir = mkdtempSync(join(tmpdir(), "anykv-bench-in-process-"));
const backend = await openLevelBackend({
  location: join(dir, "data"),
  sync: process.env.BENCH_SYNC === "none" ? "none" : "always",
});
const store = new Store(backend);
const models = await openModels(backend);
const service = withModelRefresh(StoreService, createStoreService({ store, models }), models);
const options = resolveServerOptions({});
// The interceptors serve() gets from startServer(), outermost first.
const interceptors = [
  createErrorInterceptor((err) => console.error(err)),
  createValidationInterceptor(),
  createStreamLimiter(options),
];

type Handler = (request: Message, context: unknown) => Promise<unknown>;
/** One unary method as the fast path runs it: bytes in, interceptors around the handler, bytes out. */
function unary(name: "put" | "get", input: DescMessage) {
  const method = StoreService.method[name];
  const handler = service[name] as unknown as Handler;
  let next = async (req: UnaryRequest): Promise<UnaryResponse> => {
    const result = await handler(req.message, {});
    const message = isMessage(result, method.output) ? result : create(method.output, result as never);
    return { stream: false, message, method, service: StoreService } as unknown as UnaryResponse;
  };
  for (const interceptor of [...interceptors].reverse()) next = interceptor(next as never) as never;
  const signal = new AbortController().signal;
  return async (bytes: Uint8Array) => {
    const message = fromBinary(input, bytes);
    const req = { stream: false, message, method, service: StoreService, signal, header: new Headers() };
    const res = await next(req as unknown as UnaryRequest);
    return toBinary(method.output as DescMessage, res.message as Message);
  };
}

const put = unary("put", PutRequestSchema);
const get = unary("get", GetRequestSchema);
const text = "x".repeat(100);
const key = (i: number) => `k/${i % KEYS}`;
const putBytes = Array.from({ length: KEYS }, (_, i) =>
  toBinary(
    PutRequestSchema,
    create(PutRequestSchema, { key: key(i), value: { kind: { case: "text", value: text } } }),
  ),
);
const getBytes = Array.from({ length: KEYS }, (_, i) =>
  toBinary(GetRequestSchema, create(GetRequestSchema, { key: key(i) })),
);

async function run(call: (bytes: Uint8Array) => Promise<Uint8Array>, requests: Uint8Array[], calls: number) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (i < calls) await call(requests[i++ % requests.length]!);
    }),
  );
  const used = process.cpuUsage(cpu);
  return { perCallUs: (used.user + used.system) / calls, rate: calls / ((performance.now() - start) / 1000) };
}

await run(put, putBytes, 2 * KEYS); // fills the keys, and warms up
const results: Record<string, number[]> = { Put: [], Get: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, call, requests] of [
    ["Put", put, putBytes],
    ["Get", get, getBytes],
  ] as const) {
    const r = await run(call, requests, CALLS);
    results[name]!.push(r.perCallUs);
    console.error(
      `round ${round + 1} ${name}: ${r.perCallUs.toFixed(1)} µs CPU per call, ${Math.round(r.rate)}/s`,
    );
  }
}
console.log(`| | CPU µs per call, median of ${ROUNDS} (range) |\n|---|---:|`);
for (const [name, xs] of Object.entries(results))
  console.log(
    `| ${name} | ${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)} – ${Math.max(...xs).toFixed(1)}) |`,
  );
await store.close();
rmSync(dir, { recursive: true, force: true });
