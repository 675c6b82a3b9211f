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
 *
 * With `--before DIR` (another build's dist/, e.g. a `git worktree` of an older commit), that
 * build runs beside this one, each over its own LevelDB, the two taking turns in every round,
 * and the medians of the rounds' ratios are printed: a change's effect, with the host's drift
 * cancelled out.
 *
 *   node dist/bench/unary/in-process.js 20000 9 --before /tmp/w-before/dist
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { create, type DescMessage, fromBinary, isMessage, type Message, toBinary } from "@bufbuild/protobuf";
import type { UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { importFromBuild, takeBeforeDir } from "../support/builds.js";
import { median } from "../support/stats.js";

const args = process.argv.slice(2);
const beforeDir = takeBeforeDir(args);
const CALLS = Number(args[0] ?? 20_000);
const ROUNDS = Number(args[1] ?? 3);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const KEYS = 1000;

type Call = (bytes: Uint8Array) => Promise<Uint8Array>;
interface Build {
  readonly name: string;
  readonly put: Call;
  readonly get: Call;
  readonly putBytes: Uint8Array[];
  readonly getBytes: Uint8Array[];
  close(): Promise<void>;
}

/**
 * The handler chain of one build (its dist/ directory) over a LevelDB of its own. Its modules
 * are imported from that directory, so two builds run side by side in one process.
 */
async function openBuild(name: string, dist: string): Promise<Build> {
  const load = <T>(path: string) => importFromBuild<T>(dist, path);
  const [
    proto,
    level,
    errors,
    refresh,
    modelRegistry,
    validation,
    serverOptions,
    storeService,
    limits,
    storeModule,
  ] = await Promise.all([
    load<typeof import("../../gen/anykv/v1/store_pb.js")>("gen/anykv/v1/store_pb.js"),
    load<typeof import("../../src/backend/leveldb-backend.js")>("src/backend/leveldb-backend.js"),
    load<typeof import("../../src/server/error-mapping.js")>("src/server/error-mapping.js"),
    load<typeof import("../../src/server/model-refresh.js")>("src/server/model-refresh.js"),
    load<typeof import("../../src/server/models.js")>("src/server/models.js"),
    load<typeof import("../../src/server/request-validation.js")>("src/server/request-validation.js"),
    load<typeof import("../../src/server/server-options.js")>("src/server/server-options.js"),
    load<typeof import("../../src/server/store-service.js")>("src/server/store-service.js"),
    load<typeof import("../../src/server/stream-limits.js")>("src/server/stream-limits.js"),
    load<typeof import("../../src/store/store.js")>("src/store/store.js"),
  ]);
  const { GetRequestSchema, PutRequestSchema, StoreService } = proto;
  const dir = mkdtempSync(join(tmpdir(), "anykv-bench-in-process-"));
  const backend = await level.openLevelBackend({
    location: join(dir, "data"),
    sync: process.env.BENCH_SYNC === "none" ? "none" : "always",
  });
  const store = new storeModule.Store(backend);
  const models = await modelRegistry.openModels(backend);
  const service = refresh.withModelRefresh(
    StoreService,
    storeService.createStoreService({ store, models }),
    models,
  );
  const options = serverOptions.resolveServerOptions({});
  // The interceptors serve() gets from startServer(), outermost first.
  const interceptors = [
    errors.createErrorInterceptor((err) => console.error(err)),
    validation.createValidationInterceptor(),
    limits.createStreamLimiter(options),
  ];

  type Handler = (request: Message, context: unknown) => Promise<unknown>;
  /** One unary method as the fast path runs it: bytes in, interceptors around the handler, bytes out. */
  const unary = (method: (typeof StoreService.method)["put" | "get"], input: DescMessage): Call => {
    const handler = service[method.localName as "put" | "get"] as unknown as Handler;
    let next = async (req: UnaryRequest): Promise<UnaryResponse> => {
      const result = await handler(req.message, {});
      const message = isMessage(result, method.output) ? result : create(method.output, result as never);
      return { stream: false, message, method, service: StoreService } as unknown as UnaryResponse;
    };
    for (const interceptor of [...interceptors].reverse()) next = interceptor(next as never) as never;
    const signal = new AbortController().signal;
    return async (bytes) => {
      const message = fromBinary(input, bytes);
      const req = { stream: false, message, method, service: StoreService, signal, header: new Headers() };
      const res = await next(req as unknown as UnaryRequest);
      return toBinary(method.output as DescMessage, res.message as Message);
    };
  };
  const text = "x".repeat(100);
  const key = (i: number) => `k/${i % KEYS}`;
  return {
    name,
    put: unary(StoreService.method.put, PutRequestSchema),
    get: unary(StoreService.method.get, GetRequestSchema),
    putBytes: Array.from({ length: KEYS }, (_, i) =>
      toBinary(
        PutRequestSchema,
        create(PutRequestSchema, { key: key(i), value: { kind: { case: "text", value: text } } }),
      ),
    ),
    getBytes: Array.from({ length: KEYS }, (_, i) =>
      toBinary(GetRequestSchema, create(GetRequestSchema, { key: key(i) })),
    ),
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

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

const builds = [await openBuild("this build", resolve(import.meta.dirname, "../.."))];
if (beforeDir) builds.unshift(await openBuild(`before (${beforeDir})`, beforeDir));
for (const b of builds) await run(b.put, b.putBytes, 2 * KEYS); // fills the keys, and warms up
const results = new Map(builds.map((b) => [b, { Put: [] as number[], Get: [] as number[] }]));
for (let round = 0; round < ROUNDS; round++) {
  // The builds take turns within each round, so that a host that slows down slows both, and
  // the one that goes first alternates.
  for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
    for (const [name, call, requests] of [
      ["Put", b.put, b.putBytes],
      ["Get", b.get, b.getBytes],
    ] as const) {
      const r = await run(call, requests, CALLS);
      results.get(b)![name].push(r.perCallUs);
      console.error(
        `round ${round + 1} ${b.name} ${name}: ${r.perCallUs.toFixed(1)} µs CPU per call, ${Math.round(r.rate)}/s`,
      );
    }
  }
}
console.log(`| | CPU µs per call, median of ${ROUNDS} (range) |\n|---|---:|`);
for (const b of builds)
  for (const [name, xs] of Object.entries(results.get(b)!))
    console.log(
      `| ${builds.length > 1 ? `${b.name}: ` : ""}${name} | ${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)} – ${Math.max(...xs).toFixed(1)}) |`,
    );
if (builds.length > 1) {
  const [before, after] = builds.map((b) => results.get(b)!);
  for (const name of ["Put", "Get"] as const) {
    const ratios = after![name].map((x, i) => x / before![name][i]!);
    console.log(
      `| ${name}, this build ÷ before, median of the rounds' ratios | ${median(ratios).toFixed(3)} |`,
    );
  }
}
for (const b of builds) await b.close();
