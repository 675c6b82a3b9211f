import { spawn } from "node:child_process";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { createStore } from "../../src/client/index.js";
import { type ServerProcess, spawnServer } from "../support/cli-process.js";
import { LEVEL, type LogLine } from "../support/log-capture.js";
import { transportFor } from "../support/protocols.js";

// The access log of a real `anykv serve` process, read from its stdout: one JSON line per call
// on every way in (connect's adapter, the gRPC fast path, streams, the anystore HTTP API), with
// no value bytes and no tokens; a call the client cancelled is a debug line, not an error.
const VALUE = "value-bytes-that-must-never-be-logged-7f3a";
const TOKEN = "bearer-token-that-must-never-be-logged-91c2";
let server: ServerProcess;
let stdout = "";
let peer: grpc.Client & Record<string, (req: object, cb: (err: grpc.ServiceError | null) => void) => void>;

beforeAll(async () => {
  server = await spawnServer(["--backend", "memory", "--log-level", "debug"]);
  server.child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const definition = protoLoader.loadSync(join(import.meta.dirname, "../../proto/anykv/v1/store.proto"), {
    includeDirs: [join(import.meta.dirname, "../../proto")],
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    anykv: { v1: { StoreService: new (address: string, creds: grpc.ChannelCredentials) => typeof peer } };
  };
  peer = new pkg.anykv.v1.StoreService(new URL(server.url).host, grpc.credentials.createInsecure());
});
afterAll(async () => {
  peer?.close();
  await server?.stop();
});

/** The JSON lines printed so far (every line of stdout must be one). */
function lines(): LogLine[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LogLine);
}

/** Waits for an access line matching `fields` (lines are written at each call's end, asynchronously). */
async function accessLine(fields: Record<string, unknown>): Promise<LogLine> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = lines().find(
      (l) => l.msg === "call" && Object.entries(fields).every(([k, v]) => l[k] === v),
    );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no access line ${JSON.stringify(fields)} in:\n${stdout}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const peerCall = (method: string, req: object) =>
  new Promise<grpc.ServiceError | null>((resolve) => peer[method]!.call(peer, req, (err) => resolve(err)));

describe("access lines of a server process", () => {
  it("connect: method, namespace, code, duration, bytes and peer; no value, no token", async () => {
    const client = createClient(StoreService, transportFor(server.url, "connect"));
    const headers = { authorization: `Bearer ${TOKEN}` };
    await client.put(
      { namespace: "team-a", key: "k1", value: { kind: { case: "text", value: VALUE } } },
      { headers },
    );
    await client.get({ namespace: "team-a", key: "k1" }, { headers });
    const put = await accessLine({ method: "anykv.v1.StoreService/Put", namespace: "team-a" });
    expect(put).toMatchObject({ level: LEVEL.info, protocol: "connect", code: "OK" });
    expect(put.bytesIn).toBeGreaterThan(VALUE.length);
    expect(put.bytesOut).toBeGreaterThan(0);
    expect(put.ms).toBeGreaterThan(0);
    expect(put.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    const get = await accessLine({ method: "anykv.v1.StoreService/Get", namespace: "team-a" });
    expect(get).toMatchObject({ protocol: "connect", code: "OK" });
    expect(get.bytesOut).toBeGreaterThan(VALUE.length);
  });

  it("the gRPC fast path (grpc-js peer): the same fields, codes by name", async () => {
    expect(await peerCall("Put", { namespace: "team-b", key: "k2", value: { text: VALUE } })).toBeNull();
    expect((await peerCall("Get", { namespace: "team-b", key: "missing" }))?.code).toBe(
      grpc.status.NOT_FOUND,
    );
    const put = await accessLine({ method: "anykv.v1.StoreService/Put", namespace: "team-b" });
    expect(put).toMatchObject({ level: LEVEL.info, protocol: "grpc", code: "OK" });
    expect(put.bytesIn).toBeGreaterThan(VALUE.length);
    expect(put.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    const get = await accessLine({ method: "anykv.v1.StoreService/Get", namespace: "team-b" });
    expect(get).toMatchObject({ level: LEVEL.info, protocol: "grpc", code: "NOT_FOUND" });
  });

  it("streams: a gRPC-Web listing, and a Watch the client cancels (debug, no error)", async () => {
    const web = createClient(StoreService, transportFor(server.url, "grpc-web"));
    for await (const _ of web.listKeys({ namespace: "team-c" })) void _;
    const listing = await accessLine({ method: "anykv.v1.StoreService/ListKeys", namespace: "team-c" });
    expect(listing).toMatchObject({ level: LEVEL.info, protocol: "grpc-web", code: "OK" });

    const grpcClient = createClient(StoreService, transportFor(server.url, "grpc"));
    const abort = new AbortController();
    const watch = grpcClient.watch({ namespace: "team-d", prefix: "" }, { signal: abort.signal });
    const it = watch[Symbol.asyncIterator]();
    expect((await it.next()).value?.created).toBe(true);
    abort.abort();
    await it.next().catch(() => undefined);
    const cancelled = await accessLine({ method: "anykv.v1.StoreService/Watch", namespace: "team-d" });
    expect(cancelled).toMatchObject({ level: LEVEL.debug, protocol: "grpc", code: "CANCELLED" });
    expect(cancelled.bytesIn).toBeGreaterThan(5); // HTTP/2 through Node's compatibility layer: the envelope and message
    expect(lines().filter((l) => l.level >= LEVEL.warn)).toEqual([]);
  });

  it("the anystore HTTP API: method, status and bytes", async () => {
    const put = await fetch(`${server.url}/anystore/doc`, {
      method: "PUT",
      body: VALUE,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(put.ok).toBe(true);
    expect(await (await fetch(`${server.url}/anystore/doc`)).text()).toBe(VALUE);
    const line = await accessLine({ method: "PUT /anystore" });
    expect(line).toMatchObject({
      level: LEVEL.info,
      protocol: "http",
      namespace: "",
      code: "OK",
      status: put.status,
    });
    expect(line.bytesIn).toBe(VALUE.length);
    const get = await accessLine({ method: "GET /anystore" });
    expect(get).toMatchObject({ code: "OK", status: 200, bytesOut: VALUE.length });
  });

  it("no line carries a value or a token", async () => {
    await accessLine({ method: "GET /anystore" });
    expect(lines().length).toBeGreaterThanOrEqual(8);
    expect(server.output()).not.toContain(VALUE);
    expect(server.output()).not.toContain(TOKEN);
  });
});

describe("on a terminal", () => {
  it("prints pino-pretty's form instead of JSON (util-linux script gives the server a pty)", async () => {
    const main = join(import.meta.dirname, "../../dist/src/cli/main.js");
    const command = `${process.execPath} ${main} serve --port 0 --backend memory`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const deadline = Date.now() + 15_000;
      while (!/listening on http/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no listening line:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const line = out.split("\n").find((l) => l.includes("listening on")) ?? "";
      expect(line).toMatch(/INFO.*anykv listening on http:\/\/127\.0\.0\.1:\d+ /);
      expect(line.trimStart().startsWith("{")).toBe(false);
    } finally {
      // Ctrl-C through the pty reaches the server as SIGINT; it stops, and script with it.
      child.stdin.write("\u0003");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

describe("compression of answers", () => {
  it("is off unless the Node client asks for it (compression: true): the access line counts the bytes sent", async () => {
    const plain = createStore({ baseUrl: server.url, namespace: "compress" });
    const asking = createStore({ baseUrl: server.url, namespace: "compress", compression: true });
    await plain.put("big", "a".repeat(64 * 1024));
    expect(await plain.get("big")).toHaveLength(64 * 1024);
    const first = await accessLine({ method: "anykv.v1.StoreService/Get", namespace: "compress" });
    expect(first.bytesOut as number).toBeGreaterThan(64 * 1024);
    expect(await asking.get("big")).toHaveLength(64 * 1024);
    const deadline = Date.now() + 10_000;
    let gets: LogLine[] = [];
    while (gets.length < 2 && Date.now() < deadline) {
      gets = lines().filter((l) => l.method === "anykv.v1.StoreService/Get" && l.namespace === "compress");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(gets[1]?.bytesOut as number).toBeLessThan(4096);
  });
});

describe("the listening line", () => {
  it("is printed at --log-level warn too, while access lines are not", async () => {
    const quiet = await spawnServer(["--backend", "memory", "--log-level", "warn"]);
    try {
      const client = createClient(StoreService, transportFor(quiet.url, "grpc"));
      await client.exists({ key: "k" });
      const printed = quiet
        .output()
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as LogLine);
      expect(printed.map((line) => line.msg)).toEqual([
        expect.stringMatching(/^anykv listening on http:\/\//),
      ]);
    } finally {
      await quiet.stop();
    }
  });
});
