import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type ServerProcess, startProcess } from "./processes.js";

/**
 * The servers bench/unary compares; `anykv@DIR` is also anykv, built in another checkout
 * (before/after), and `anykv-memory` is anykv on its in-memory backend: the same request path
 * and store with no storage engine under them, so that a run shows the engine's share of a call
 * (LevelDB, its fsync and the commit's hand-offs to its thread pool). A Node server's name with
 * `+node24` runs it on Node 24, the current LTS (scripts/node24.sh fetches it), rather than on
 * the Node that runs the benchmark.
 */
export const TARGET_NAMES = ["anykv", "anykv-memory", "etcd", "grpc-js", "connect", "http2"] as const;
type NodeTarget = Exclude<(typeof TARGET_NAMES)[number], "etcd"> | `anykv@${string}`;
export type TargetName = (typeof TARGET_NAMES)[number] | `anykv@${string}` | `${NodeTarget}+node24`;

const ON_NODE24 = "+node24";

/** The target's name without `+node24`. */
const baseOf = (name: string): string => (name.endsWith(ON_NODE24) ? name.slice(0, -ON_NODE24.length) : name);

export function isTargetName(name: string): name is TargetName {
  const base = baseOf(name);
  if (base !== name && base === "etcd") return false;
  return (TARGET_NAMES as readonly string[]).includes(base) || /^anykv@./.test(base);
}

/** The node binary a target runs on: Node 24 for `…+node24`, else this process's. */
function nodeOf(name: TargetName): string {
  if (!name.endsWith(ON_NODE24)) return process.execPath;
  const bin = execFileSync("bash", [join(ROOT, "scripts/node24.sh")], { encoding: "utf8" }).trim();
  return join(bin, "node");
}

/** A running server and how ghz calls it. */
export interface Target {
  readonly name: TargetName;
  /** host:port for ghz (gRPC over h2c). */
  readonly address: string;
  /** http://host:port for Node clients (anykv only serves every protocol). */
  readonly url: string;
  readonly server: ServerProcess;
  /** ghz's --proto and --import-paths for this server's API. */
  readonly protoArgs: readonly string[];
  /** The fully qualified methods and the ghz request data (Go templates) of a Put and a Get. */
  readonly put: GhzCall;
  readonly get: GhzCall;
  stop(): Promise<void>;
}

export interface GhzCall {
  readonly method: string;
  readonly data: string;
}

export interface TargetOptions {
  /** Keys are KEY_PREFIX + (request number mod keys): Puts overwrite, Gets hit. */
  readonly keys: number;
  readonly valueBytes: number;
  /** Extra arguments of `anykv serve` (e.g. --sync none). */
  readonly anykvArgs: readonly string[];
}

const ROOT = new URL("../../../", import.meta.url).pathname;
const ANYKV_PROTO = ["--proto", "anykv/v1/store.proto", "--import-paths", join(ROOT, "proto")];

export async function startTarget(name: TargetName, options: TargetOptions): Promise<Target> {
  const base = baseOf(name);
  const node = nodeOf(name);
  switch (base) {
    case "anykv":
      return startAnykv(name, ROOT, options, node);
    case "anykv-memory":
      return startAnykv(
        name,
        ROOT,
        { ...options, anykvArgs: [...options.anykvArgs, "--backend", "memory:"] },
        node,
      );
    case "etcd":
      return startEtcd(options);
    case "grpc-js":
    case "connect":
    case "http2":
      return startNullServer(name, base, options, node);
    default:
      // anykv@DIR: the compiled server of another checkout (npx tsc -p tsconfig.json there).
      return startAnykv(name, base.slice("anykv@".length), options, node);
  }
}

/** anykv's Put and Get requests, as ghz data: text values in the default namespace. */
function anykvCalls(options: TargetOptions): Pick<Target, "put" | "get"> {
  const key = `"key": "k/{{ mod .RequestNumber ${options.keys} }}"`;
  return {
    put: {
      method: "anykv.v1.StoreService.Put",
      data: `{${key}, "value": {"text": "${"x".repeat(options.valueBytes)}"}}`,
    },
    get: { method: "anykv.v1.StoreService.Get", data: `{${key}}` },
  };
}

/**
 * The Node flags the checkout's anykv server starts with: those `npm start` gives it (its
 * scripts/server-node-flags; none in a checkout older than that file), so that the benchmark
 * measures the server as it is served, then BENCH_ANYKV_NODE_ARGS, which win (V8 reads its flags
 * in order).
 */
export function anykvNodeFlags(checkout: string = ROOT): string[] {
  const file = join(checkout, "scripts/server-node-flags");
  const served = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"))
    : [];
  return [...served, ...(process.env.BENCH_ANYKV_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "")];
}

async function startAnykv(
  name: TargetName,
  checkout: string,
  options: TargetOptions,
  node: string,
): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "anykv-bench-unary-"));
  const { server, match } = await startProcess(
    name,
    node,
    [
      ...anykvNodeFlags(checkout),
      join(checkout, "dist/src/cli/main.js"),
      "serve",
      "--port",
      "0",
      "--data",
      join(dir, "data"),
      ...options.anykvArgs,
    ],
    /listening on (http:\/\/[\d.]+:(\d+))/,
  );
  const url = match[1] ?? "";
  return {
    name,
    address: `127.0.0.1:${match[2]}`,
    url,
    server,
    protoArgs: ANYKV_PROTO,
    ...anykvCalls(options),
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startNullServer(
  name: TargetName,
  kind: "grpc-js" | "connect" | "http2",
  options: TargetOptions,
  node: string,
): Promise<Target> {
  const { server, match } = await startProcess(
    name,
    node,
    [join(ROOT, "dist/bench/unary/null-servers.js"), kind],
    /listening (\d+)/,
  );
  return {
    name,
    address: `127.0.0.1:${match[1]}`,
    url: `http://127.0.0.1:${match[1]}`,
    server,
    protoArgs: ANYKV_PROTO,
    ...anykvCalls(options),
    stop: () => server.stop(),
  };
}

/**
 * etcd (Debian's etcd-server, 3.4) with its data in a temporary directory, one
 * member, client and peer ports picked free. It does not serve gRPC
 * reflection: ghz reads its .proto files from .tools/etcd-proto (setup.sh).
 */
async function startEtcd(options: TargetOptions): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "anykv-bench-etcd-"));
  const client = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const { server } = await startProcess(
    "etcd",
    "etcd",
    [
      "--name",
      "bench",
      "--data-dir",
      join(dir, "data"),
      "--listen-client-urls",
      client,
      "--advertise-client-urls",
      client,
      "--listen-peer-urls",
      peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      `bench=${peer}`,
      "--logger",
      "zap",
    ],
    /serving client traffic insecurely|ready to serve client requests/,
  );
  const key = `"key": "{{ printf \`k/%d\` (mod .RequestNumber ${options.keys}) | b64enc }}"`;
  const value = Buffer.from("x".repeat(options.valueBytes)).toString("base64");
  return {
    name: "etcd",
    address: client.slice("http://".length),
    url: client,
    server,
    protoArgs: [
      "--proto",
      "etcd/api/etcdserverpb/rpc.proto",
      "--import-paths",
      join(ROOT, ".tools/etcd-proto"),
    ],
    put: { method: "etcdserverpb.KV.Put", data: `{${key}, "value": "${value}"}` },
    get: { method: "etcdserverpb.KV.Range", data: `{${key}}` },
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
