/**
 * bench/unary: anykv, etcd and three do-nothing servers (grpc-js, connect-node, Node's http2)
 * under the same ghz load, side by side in interleaved rounds, and anykv
 * under a Node load generator for every protocol it serves. Run through
 * `npm run bench:unary` (bench/unary/run.sh installs the tools and builds);
 * options and figures are in bench/README.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { NodeLoadOptions } from "./connect-load.js";
import { ghz, type LoadResult } from "./ghz.js";
import { run } from "./processes.js";
import { type Report, report, type Sample } from "./report.js";
import {
  anykvNodeFlags,
  isTargetName,
  startTarget,
  TARGET_NAMES,
  type Target,
  type TargetName,
} from "./targets.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean" },
    duration: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
    concurrency: { type: "string" },
    targets: { type: "string" },
    ops: { type: "string" },
    "node-protocols": { type: "string" },
    "node-concurrency": { type: "string" },
    "anykv-args": { type: "string" },
    keys: { type: "string" },
    out: { type: "string" },
  },
});
const env = process.env;
const option = (flag: string | undefined, name: string, fallback: string) => flag ?? env[name] ?? fallback;
const list = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
const quick = flags.quick ?? env.BENCH_QUICK === "1";
const SECONDS = Number(option(flags.duration, "BENCH_DURATION", quick ? "1.5" : "5"));
// A JIT-compiled server is measured warm: V8 keeps optimising anykv's request path for about
// 30,000 calls (10-15 s at 64 in flight here), and the first 5 s round of a cold server cost up
// to 1.5× the later ones. etcd (Go) needs no warm-up; it gets the same load all the same.
const WARMUP_SECONDS = Number(option(flags.warmup, "BENCH_WARMUP", quick ? "2" : "15"));
const ROUNDS = Number(option(flags.rounds, "BENCH_ROUNDS", quick ? "1" : "3"));
const CONCURRENCY = list(option(flags.concurrency, "BENCH_CONCURRENCY", "1,16,64,256")).map(Number);
// By default anykv runs twice: on Node 24, which `npm start` serves on (scripts/server-node.sh),
// and on the Node that runs the benchmark (Node 20 on these machines). anykv-memory runs only
// when --targets names it.
const DEFAULT_TARGETS = ["anykv+node24", ...TARGET_NAMES.filter((name) => name !== "anykv-memory")].join(",");
const TARGETS = list(option(flags.targets, "BENCH_TARGETS", DEFAULT_TARGETS)) as TargetName[];
const OPS = list(option(flags.ops, "BENCH_OPS", "put,get,mix")) as Array<"put" | "get" | "mix">;
const NODE_PROTOCOLS = list(
  option(
    flags["node-protocols"],
    "BENCH_NODE_PROTOCOLS",
    "connect+binary/1.1,connect+json/1.1,connect+binary/2,connect+json/2,grpc-web+binary/1.1,grpc+binary/2",
  ),
);
const NODE_CONCURRENCY = Number(option(flags["node-concurrency"], "BENCH_NODE_CONCURRENCY", "64"));
const ANYKV_ARGS = list(option(flags["anykv-args"], "BENCH_ANYKV_ARGS", "").replaceAll(" ", ","));
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const OUT = option(flags.out, "BENCH_OUT", join(ROOT, `bench/unary/results/unary-${stamp}.md`));
// Keys are k/0 … k/(KEYS-1), request number mod KEYS: 1 puts every write on one hot key.
const KEYS = Number(option(flags.keys, "BENCH_KEYS", "1000"));
if (!Number.isInteger(KEYS) || KEYS < 1)
  throw new Error(`--keys must be a whole number of 1 or more, not ${KEYS}`);
const VALUE_BYTES = 100;

for (const t of TARGETS) if (!isTargetName(t)) throw new Error(`unknown target ${t}`);

const log = (line: string) => process.stderr.write(`${line}\n`);
const loadBefore = loadavg();
const started = new Date();
const samples: Sample[] = [];
const targets: Target[] = [];
try {
  for (const name of TARGETS) {
    targets.push(await startTarget(name, { keys: KEYS, valueBytes: VALUE_BYTES, anykvArgs: ANYKV_ARGS }));
    log(`started ${name}`);
  }
  // Fill the keys the Gets read, then warm every server up: Puts and Gets at 64 in flight.
  for (const target of targets) {
    await ghz({ target, call: target.put, concurrency: 16, requests: KEYS * 2 });
    if (WARMUP_SECONDS <= 0) continue;
    for (const call of [target.put, target.get])
      await ghz({ target, call, concurrency: 64, seconds: WARMUP_SECONDS / 2 });
    log(`warmed up ${target.name} (${WARMUP_SECONDS} s)`);
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved: every point runs each server back to back, in an order that rotates per round.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const op of OPS) {
      for (const concurrency of CONCURRENCY) {
        if (op === "mix" && concurrency < 2) continue;
        for (const target of order) {
          const sample = await measure(target, op, concurrency);
          samples.push({ ...sample, round });
          log(
            `round ${round + 1}/${ROUNDS} ${op} c=${concurrency} ${target.name}: ${Math.round(sample.ok / sample.seconds)} req/s, ` +
              `p99 ${sample.p99Ms.toFixed(1)} ms, ${(sample.cpuMs / Math.max(1, sample.ok)).toFixed(3)} CPU ms/req` +
              (Object.keys(sample.errors).length
                ? `, errors ${JSON.stringify(sample.errors)} ${sample.firstError}`
                : ""),
          );
        }
      }
    }
    const anykv = targets.find((t) => t.name === "anykv");
    if (anykv) {
      for (const protocol of NODE_PROTOCOLS) {
        for (const op of ["put", "get"] as const) {
          const sample = await measureNode(anykv, protocol, op);
          samples.push({ ...sample, round });
          log(
            `round ${round + 1}/${ROUNDS} node ${protocol} ${op} c=${NODE_CONCURRENCY}: ${Math.round(sample.ok / sample.seconds)} req/s, ` +
              `${(sample.cpuMs / Math.max(1, sample.ok)).toFixed(3)} CPU ms/req` +
              (Object.keys(sample.errors).length
                ? `, errors ${JSON.stringify(sample.errors)} ${sample.firstError}`
                : ""),
          );
        }
      }
    }
  }
} finally {
  for (const target of targets) await target.stop();
}

const header: Report = {
  started,
  seconds: SECONDS,
  warmupSeconds: WARMUP_SECONDS,
  rounds: ROUNDS,
  keys: KEYS,
  valueBytes: VALUE_BYTES,
  anykvArgs: ANYKV_ARGS,
  nodeConcurrency: NODE_CONCURRENCY,
  machine: [
    `${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}`,
    `Node ${process.version}; anykv's Node flags: ${anykvNodeFlags().join(" ") || "none"}`,
    (await run("etcd", ["--version"])).split("\n")[0] ?? "",
    `ghz ${readFileSync(join(ROOT, "bench/unary/setup.sh"), "utf8").match(/ghz@(v[\d.]+)/)?.[1] ?? "?"}`,
    `anykv ${(await run("git", ["-C", ROOT, "describe", "--always", "--dirty"]).catch(() => env.BENCH_ANYKV_VERSION ?? "(not a git checkout)")).trim()}`,
    `load average ${loadBefore.map((l) => l.toFixed(1)).join(" ")} before, ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} after`,
  ],
};
const markdown = report(header, samples);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, markdown);
console.log(markdown);
log(`written to ${OUT}`);

/** One ghz point: the server's CPU time around the run, divided later by the OK calls. */
async function measure(
  target: Target,
  op: "put" | "get" | "mix",
  concurrency: number,
): Promise<Omit<Sample, "round">> {
  const cpuBefore = target.server.cpuMs();
  let result: LoadResult;
  if (op === "mix") {
    // 90/10 by clients: a tenth of them (at least one) put, the others get, at the same time.
    const putters = Math.max(1, Math.round(concurrency / 10));
    const [gets, puts] = await Promise.all([
      ghz({ target, call: target.get, concurrency: concurrency - putters, seconds: SECONDS }),
      ghz({ target, call: target.put, concurrency: putters, seconds: SECONDS }),
    ]);
    result = {
      ok: gets.ok + puts.ok,
      errors: merge(gets.errors, puts.errors),
      firstError: gets.firstError ?? puts.firstError,
      seconds: Math.max(gets.seconds, puts.seconds),
      // The mix's latencies are its Gets'.
      p50Ms: gets.p50Ms,
      p99Ms: gets.p99Ms,
    };
  } else {
    result = await ghz({
      target,
      call: op === "put" ? target.put : target.get,
      concurrency,
      seconds: SECONDS,
    });
  }
  return { ...result, op, concurrency, server: target.name, cpuMs: target.server.cpuMs() - cpuBefore };
}

async function measureNode(
  target: Target,
  protocol: string,
  op: "put" | "get",
): Promise<Omit<Sample, "round">> {
  const match = /^(connect|grpc-web|grpc)\+(binary|json)\/(1\.1|2)$/.exec(protocol);
  if (!match) throw new Error(`node protocol ${protocol}: expected e.g. connect+json/1.1`);
  const options: NodeLoadOptions = {
    url: target.url,
    protocol: match[1] as NodeLoadOptions["protocol"],
    format: match[2] as NodeLoadOptions["format"],
    http: match[3] as NodeLoadOptions["http"],
    op,
    concurrency: NODE_CONCURRENCY,
    seconds: SECONDS,
    keys: KEYS,
    valueBytes: VALUE_BYTES,
  };
  const cpuBefore = target.server.cpuMs();
  const output = await run(process.execPath, [
    join(ROOT, "dist/bench/unary/connect-load.js"),
    JSON.stringify(options),
  ]);
  const result = JSON.parse(output) as LoadResult;
  return {
    ...result,
    op,
    concurrency: NODE_CONCURRENCY,
    server: `anykv ${protocol}`,
    cpuMs: target.server.cpuMs() - cpuBefore,
  };
}

function merge(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}
