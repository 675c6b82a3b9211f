import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/anykv/v1/admin_pb.js";
import { ModelService } from "../../gen/anykv/v1/model_pb.js";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createStore, errorInfo } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { type TestToken, testToken, writeAuthFile } from "../support/auth-file.js";
import { captureLogs } from "../support/log-capture.js";
import { PROTOCOLS, transportFor } from "../support/protocols.js";
import { startTestServer, uniqueKey } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";
import { run } from "../support/tools.js";

// --auth-file through real sockets, on every way in: gRPC (the fast path for unary calls,
// connect's adapter for streams), gRPC-Web, Connect binary and JSON, the anystore HTTP API, an
// independent grpc-js peer and grpcurl.
const reader = testToken("reader", [
  { namespace: "", access: "read" },
  { namespace: "app/*", access: "read" },
]);
const writer = testToken("writer", [
  { namespace: "app/*", access: "write" },
  { namespace: "", access: "write" },
]);
const admin = testToken("admin", [{ namespace: "*", access: "admin" }]);
const leaving = testToken("leaving", [{ namespace: "app/*", access: "write" }]);
const TOKENS = [reader, writer, admin, leaving];
const WRONG = "0".repeat(64);

let server: RunningServer;
let authFile: string;
// Everything the server logged, down to debug (access lines included): tokens must never appear in it.
const logs = captureLogs("trace");
beforeAll(async () => {
  authFile = writeAuthFile(join(tempDir(), "auth.json"), TOKENS);
  server = await startTestServer({ authFile, backend: "memory", logger: logs.logger });
});
afterAll(() => {
  const all = JSON.stringify(logs.lines());
  expect(logs.lines().length).toBeGreaterThan(100); // the access lines of this file's calls
  for (const t of TOKENS) expect(all).not.toContain(t.token);
  expect(all).not.toContain(WRONG);
});

const storeAs = (protocol: (typeof PROTOCOLS)[number], namespace: string, token?: TestToken | string) =>
  createStore({
    baseUrl: server.url,
    namespace,
    transport: transportFor(server.url, protocol, {
      token: typeof token === "string" ? token : (token?.token ?? ""),
    }),
  });

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("the call succeeded");
}

describe.each(PROTOCOLS)("tokens over %s", (protocol) => {
  it("refuses a call without a token or with a wrong one (UNAUTHENTICATED, ErrorInfo), never echoing it", async () => {
    for (const token of [undefined, WRONG]) {
      const err = await failure(storeAs(protocol, "app/a", token).get("k"));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(errorInfo(err)?.reason).toBe("UNAUTHENTICATED");
      expect(err.rawMessage).toMatch(token ? /token is not valid/ : /requires a token.*Bearer/);
      expect(err.rawMessage).not.toContain(WRONG);
    }
    // A malformed header names the form it needs.
    const basic = createClient(StoreService, transportFor(server.url, protocol, { token: "" })).get(
      { key: "k" },
      { headers: { authorization: "Basic dXNlcjpwYXNz" } },
    );
    const err = await failure(basic);
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toContain('must be "Bearer TOKEN"');
  });

  it("refuses a write to a namespace the token may only read (PERMISSION_DENIED naming both), and the value stays", async () => {
    const namespace = `app/${protocol}`;
    const key = uniqueKey();
    await storeAs(protocol, namespace, writer).put(key, "before");
    const err = await failure(storeAs(protocol, namespace, reader).put(key, "after"));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe(
      `token "reader" may not write: it needs write access to namespace "${namespace}"`,
    );
    expect(errorInfo(err)).toEqual({
      reason: "ACCESS_DENIED",
      metadata: { namespace, access: "write", token: "reader" },
    });
    const store = storeAs(protocol, namespace, reader);
    for (const refused of [
      () => store.delete(key),
      () => store.pop(key),
      () => store.touch(key),
      () => store.putMany([{ key, value: "many" }]),
      () => store.batch([{ type: "put", key, value: "batch" }]),
      () => store.deletePrefix(""),
    ])
      expect((await failure(refused())).code).toBe(Code.PermissionDenied);
    expect(await storeAs(protocol, namespace, reader).get(key)).toBe("before");
    expect((await storeAs(protocol, namespace, admin).info(key)).revision).toBeGreaterThan(0n);
  });

  it("refuses reads outside the token's grants, one-shot and streamed, and serves those inside", async () => {
    const outside = storeAs(protocol, "private", reader);
    for (const refused of [
      () => outside.get("k"),
      () => outside.exists("k"),
      () => outside.getMany(["a", "b"]),
      async () => {
        for await (const _ of outside.keys()) break;
      },
      async () => {
        for await (const _ of outside.values()) break;
      },
    ]) {
      const err = await failure(refused());
      expect(err.code).toBe(Code.PermissionDenied);
      expect(err.rawMessage).toContain('needs read access to namespace "private"');
    }
    const inside = storeAs(protocol, `app/${protocol}-list`, writer);
    await inside.put("x/1", 1);
    const keys: string[] = [];
    for await (const k of storeAs(protocol, `app/${protocol}-list`, reader).keys()) keys.push(k);
    expect(keys).toEqual(["x/1"]);
  });
});

describe("streams and services", () => {
  it("checks a Watch at its start: a granted one opens, one outside its grants is refused", async () => {
    const rpc = createClient(StoreService, transportFor(server.url, "grpc", { token: reader.token }));
    // Ended by its signal: connect's client does not cancel the call when its iterator is returned.
    const abort = new AbortController();
    const watch = rpc.watch({ namespace: "app/w" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await watch.next()).value).toMatchObject({ created: true });
    abort.abort();
    const refused = rpc.watch({ namespace: "elsewhere" })[Symbol.asyncIterator]();
    const err = await failure(refused.next());
    expect(err.code).toBe(Code.PermissionDenied);
  });

  it("checks an Upload's namespace from its header before any byte is stored", async () => {
    const key = uniqueKey("upload");
    const err = await failure(storeAs("grpc", "app/up", reader).upload(key, new Uint8Array(100_000)));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toContain('namespace "app/up"');
    expect(await storeAs("grpc", "app/up", admin).exists(key)).toBe(false);
    await storeAs("grpc", "app/up", writer).upload(key, new Uint8Array(100_000));
    expect(await storeAs("grpc", "app/up", reader).exists(key)).toBe(true);
  });

  it("lets any valid token read models, and only a server-wide admin change them", async () => {
    const models = (token: TestToken) =>
      createClient(ModelService, transportFor(server.url, "connect", { token: token.token }));
    expect((await models(reader).listModels({})).models).toBeDefined();
    const err = await failure(models(writer).deleteModel({ name: "no.such.Model" }));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toContain('needs admin access to every namespace (a grant {"namespace": "*"');
    // The admin passes the check (deleting a model nobody registered deletes nothing).
    await expect(models(admin).deleteModel({ name: "no.such.Model" })).resolves.toBeDefined();
  });

  it("lets only a server-wide admin back up and restore, and a refused restore changes nothing", async () => {
    const admins = (token: TestToken) =>
      createClient(AdminService, transportFor(server.url, "grpc", { token: token.token }));
    const key = uniqueKey("kept");
    await storeAs("grpc", "", writer).put(key, "before");
    const backup = async (token: TestToken) => {
      const pieces: Uint8Array[] = [];
      for await (const piece of admins(token).backup({})) pieces.push(piece.data);
      return pieces;
    };
    for (const token of [reader, writer]) {
      const err = await failure(backup(token));
      expect(err.code).toBe(Code.PermissionDenied);
    }
    const pieces = await backup(admin);
    expect(pieces.length).toBeGreaterThan(0);
    await storeAs("grpc", "", writer).put(key, "after");
    async function* replay() {
      for (const data of pieces) yield { data };
    }
    const refused = await failure(admins(writer).restore(replay()));
    expect(refused.code).toBe(Code.PermissionDenied);
    expect(await storeAs("grpc", "", reader).get(key)).toBe("after");
    await admins(admin).restore(replay());
    expect(await storeAs("grpc", "", reader).get(key)).toBe("before");
  });

  it("/metrics on the main port needs admin on every namespace", async () => {
    const scrape = (token?: TestToken) =>
      fetch(`${server.url}/metrics`, { headers: token ? { authorization: `Bearer ${token.token}` } : {} });
    expect((await scrape()).status).toBe(401);
    expect((await scrape(writer)).status).toBe(403);
    const ok = await scrape(admin);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("# TYPE");
  });

  it("keeps health and reflection open", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const list = await run("grpcurl", ["-plaintext", `127.0.0.1:${server.port}`, "list"]);
    expect(list.stderr).toBe("");
    expect(list.stdout).toContain("anykv.v1.StoreService");
  });
});

describe("other clients", () => {
  it("grpcurl sends the token with -H", async () => {
    const addr = `127.0.0.1:${server.port}`;
    const put = (token: string) =>
      run("grpcurl", [
        "-plaintext",
        "-H",
        `authorization: Bearer ${token}`,
        "-d",
        JSON.stringify({ namespace: "app/curl", key: "k", value: { text: "v" } }),
        addr,
        "anykv.v1.StoreService/Put",
      ]);
    const denied = await put(reader.token);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("Code: PermissionDenied");
    expect(denied.stderr).toContain('needs write access to namespace "app/curl"');
    const wrong = await put(WRONG);
    expect(wrong.stderr).toContain("Code: Unauthenticated");
    const ok = await put(writer.token);
    expect(ok.stderr).toBe("");
    expect(JSON.parse(ok.stdout)).toMatchObject({ stored: true });
  });

  it("an independent grpc-js peer sends it as metadata", async () => {
    const definition = protoLoader.loadSync(join(import.meta.dirname, "../../proto/anykv/v1/store.proto"), {
      includeDirs: [join(import.meta.dirname, "../../proto")],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      anykv: { v1: { StoreService: new (address: string, creds: grpc.ChannelCredentials) => grpc.Client } };
    };
    const stub = new pkg.anykv.v1.StoreService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const exists = (token: string | undefined) =>
      new Promise<number>((resolve) => {
        const metadata = new grpc.Metadata();
        if (token) metadata.set("authorization", `Bearer ${token}`);
        (stub as unknown as Record<string, (...a: unknown[]) => void>).Exists!.call(
          stub,
          { namespace: "app/peer", key: "k" },
          metadata,
          (err: grpc.ServiceError | null) => resolve(err ? err.code : 0),
        );
      });
    try {
      expect(await exists(undefined)).toBe(grpc.status.UNAUTHENTICATED);
      expect(await exists(WRONG)).toBe(grpc.status.UNAUTHENTICATED);
      expect(await exists(reader.token)).toBe(grpc.status.OK);
      const otherNamespace = await new Promise<number>((resolve) => {
        const metadata = new grpc.Metadata();
        metadata.set("authorization", `Bearer ${writer.token}`);
        (stub as unknown as Record<string, (...a: unknown[]) => void>).Exists!.call(
          stub,
          { namespace: "private", key: "k" },
          metadata,
          (err: grpc.ServiceError | null) => resolve(err ? err.code : 0),
        );
      });
      expect(otherNamespace).toBe(grpc.status.PERMISSION_DENIED);
    } finally {
      stub.close();
    }
  });

  it("Connect binary over h2c checks the same way", async () => {
    const over = (token: string | undefined) =>
      createClient(
        StoreService,
        createConnectTransport({
          baseUrl: server.url,
          httpVersion: "2",
          interceptors: [
            (next) => (req) => {
              if (token) req.header.set("authorization", `Bearer ${token}`);
              return next(req);
            },
          ],
        }),
      ).exists({ namespace: "app/h2c", key: "k" });
    expect((await failure(over(undefined))).code).toBe(Code.Unauthenticated);
    // A token one character off, or cut short, is no token.
    expect((await failure(over(writer.token.replace(/.$/, "x")))).code).toBe(Code.Unauthenticated);
    expect((await failure(over(admin.token.slice(1)))).code).toBe(Code.Unauthenticated);
    expect((await over(reader.token)).exists).toBe(false);
  });

  it("Connect JSON over HTTP/1.1 with fetch: 401 and 403 with Connect's error body", async () => {
    const post = (token: string | undefined, body: unknown) =>
      fetch(`${server.url}/anykv.v1.StoreService/Put`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      });
    const put = { namespace: "app/fetch", key: "k", value: { text: "v" } };
    const none = await post(undefined, put);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: "unauthenticated" });
    const denied = await post(reader.token, put);
    expect(denied.status).toBe(403);
    const body = (await denied.json()) as { code: string; message: string; details: unknown[] };
    expect(body.code).toBe("permission_denied");
    expect(body.message).toContain('namespace "app/fetch"');
    expect(body.details).toHaveLength(1); // the ErrorInfo
    const ok = await post(writer.token, put);
    expect(ok.status).toBe(200);
  });

  it("the anystore HTTP API: 401 without a token, 403 for a write the token lacks, and the value stays", async () => {
    const url = (key: string) => `${server.url}/anystore/${key}`;
    const auth = (t: TestToken) => ({ authorization: `Bearer ${t.token}` });
    const key = uniqueKey("http");
    expect((await fetch(url(key), { method: "PUT", body: "v1", headers: auth(writer) })).status).toBe(201);
    const none = await fetch(url(key));
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect(await none.json()).toMatchObject({ reason: "UNAUTHENTICATED" });
    const refused = await fetch(url(key), { method: "PUT", body: "v2", headers: auth(leaving) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      reason: "ACCESS_DENIED",
      detail: 'token "leaving" may not write: it needs write access to namespace ""',
    });
    expect((await fetch(url(key), { method: "DELETE", headers: auth(reader) })).status).toBe(403);
    const read = await fetch(url(key), { headers: auth(reader) });
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("v1");
  });
});

describe("reloading the auth file", () => {
  it("ends open streams whose token was removed or lost its grant, at once, and keeps the others", async () => {
    writeAuthFile(authFile, TOKENS);
    await server.reload();
    const watchAs = (token: TestToken, namespace: string) => {
      const abort = new AbortController();
      const rpc = createClient(StoreService, transportFor(server.url, "grpc", { token: token.token }));
      const events = rpc.watch({ namespace }, { signal: abort.signal })[Symbol.asyncIterator]();
      return { events, abort };
    };
    // Watches of earlier tests end when their clients go: count from none.
    await expect.poll(() => server.store.watchStats.watchers, { timeout: 10_000 }).toBe(0);
    const removed = watchAs(leaving, "app/revoke");
    const narrowed = watchAs(reader, "app/revoke");
    const kept = watchAs(writer, "app/revoke");
    for (const w of [removed, narrowed, kept])
      expect((await w.events.next()).value).toMatchObject({ created: true });
    // Quiet streams, each waiting for its next event when the file changes.
    const waiting = [removed, narrowed, kept].map((w) => w.events.next());
    const narrowedReader = { ...reader, grants: [{ namespace: "", access: "read" as const }] };
    writeAuthFile(authFile, [narrowedReader, writer, admin]);
    await server.reload();
    const [gone, denied] = await Promise.all([failure(waiting[0]!), failure(waiting[1]!)]);
    expect(gone.code).toBe(Code.Unauthenticated);
    expect(errorInfo(gone)?.reason).toBe("UNAUTHENTICATED");
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.rawMessage).toMatch(
      /token "reader" may not read: it needs read access to namespace "app\/revoke"/,
    );
    // The revoked streams' handlers stopped too, without a write to wake them: only `kept` is left...
    await expect.poll(() => server.store.watchStats.watchers, { timeout: 10_000 }).toBe(1);
    // ...and it goes on, and sees the next write.
    await storeAs("grpc", "app/revoke", writer).put("after", 1);
    expect((await waiting[2]!).value?.events.map((e: { key: string }) => e.key)).toEqual(["after"]);
    kept.abort.abort();
    await expect.poll(() => server.store.watchStats.watchers, { timeout: 10_000 }).toBe(0);
    writeAuthFile(authFile, TOKENS);
    await server.reload();
  });

  it("refuses a removed token afterwards, and keeps the old tokens when the new file is bad", async () => {
    const store = storeAs("grpc", "app/reload", leaving);
    await store.put("k", "kept");
    writeAuthFile(authFile, [reader, writer, admin]);
    await server.reload();
    const err = await failure(store.put("k", "after removal"));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(await storeAs("grpc", "app/reload", admin).get("k")).toBe("kept");

    const { writeFileSync } = await import("node:fs");
    writeFileSync(authFile, '{"tokens": [{"name": "x", "sha256": "not hex", "grants": []}]}');
    await expect(server.reload()).rejects.toThrow(/tokens\[0\]: "sha256" must be the 64 hex digits/);
    expect(await storeAs("grpc", "app/reload", writer).get("k")).toBe("kept");
  });
});
