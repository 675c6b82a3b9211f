import { createHash } from "node:crypto";
import { request } from "node:http";
import type { Socket } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";
import { run } from "../support/tools.js";
import { until } from "../support/until.js";

let server: RunningServer;
let api: string;
beforeAll(async () => {
  server = await startTestServer();
  api = `${server.url}/anystore`;
});

describe("the real anystore package over anystore+http://", () => {
  it("puts, gets, lists, checks, touches and deletes; gRPC sees the same data", async () => {
    const grpc = createStore({ baseUrl: server.url });
    await grpc.put("from-grpc/value", { from: "grpc", n: 1 });

    const result = await run("python3", [
      "test/python/anystore_http_client.py",
      `anystore+http://127.0.0.1:${server.port}/anystore`,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout);

    expect(seen.from_grpc).toEqual({ from: "grpc", n: 1 });
    expect(JSON.parse(seen.from_grpc_raw)).toEqual({ from: "grpc", n: 1 });
    expect(seen.deleted_get).toBe("DoesNotExist");
    expect(seen.all_keys).toEqual(["docs/a.json", "docs/b.txt", "docs/sub/c.json", "other/raw.bin"]);
    expect(seen.prefix_docs).toEqual(["docs/a.json", "docs/b.txt", "docs/sub/c.json"]);
    expect(seen.glob_json).toEqual(["docs/a.json", "docs/sub/c.json"]);
    expect(seen.glob_top).toEqual(["docs/b.txt"]);
    expect(seen.exclude).toEqual(["docs/a.json", "docs/b.txt"]);
    expect(seen.info).toEqual({ name: "b.txt", size: 14, key: "docs/b.txt" });
    expect(seen.checksum).toBe(createHash("sha256").update("hello anystore").digest("hex"));
    expect(seen.checksum_md5).toBe(createHash("md5").update("hello anystore").digest("hex"));
    expect(seen.touched_get).toBe(seen.touched);
    expect(seen.traversal).not.toBe("stored");

    // Over gRPC: HTTP-put bytes have no kind metadata, so auto mode guesses (JSON → text → bytes).
    expect(await grpc.get("docs/a.json")).toEqual({ a: 1, list: [1, 2] });
    expect(await grpc.get("docs/b.txt")).toBe("hello anystore");
    expect(await grpc.get("other/raw.bin")).toEqual(new Uint8Array([0, 1, 0xfe, 0xff]));
    expect(await grpc.get("touched")).toBe(seen.touched);
    const info = await grpc.info("docs/a.json");
    expect([info.codec, info.kind]).toEqual(["", ""]);
    expect(await grpc.exists("gone")).toBe(false);
    expect(await grpc.checksum("docs/b.txt")).toBe(seen.checksum);
    expect(await grpc.exists("escape")).toBe(false);
  });
});

describe("the HTTP API's answers", () => {
  it("serves byte ranges, HEAD headers with checksums, and anystore's status codes", async () => {
    expect((await fetch(`${api}/h/v.txt`, { method: "PUT", body: "0123456789" })).status).toBe(201);
    const range = await fetch(`${api}/h/v.txt`, { headers: { Range: "bytes=2-5" } });
    expect(range.status).toBe(206);
    expect(range.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await range.text()).toBe("2345");
    const suffix = await fetch(`${api}/h/v.txt`, { headers: { Range: "bytes=-3" } });
    expect([suffix.status, await suffix.text()]).toEqual([206, "789"]);
    const outside = await fetch(`${api}/h/v.txt`, { headers: { Range: "bytes=10-" } });
    expect([outside.status, outside.headers.get("content-range")]).toEqual([416, "bytes */10"]);

    const head = await fetch(`${api}/h/v.txt?checksum=true&algorithm=md5`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10");
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    expect(head.headers.get("x-anystore-key")).toBe("h/v.txt");
    expect(head.headers.get("x-anystore-name")).toBe("v.txt");
    expect(head.headers.get("x-anystore-size")).toBe("10");
    expect(head.headers.get("x-anystore-checksum")).toBe(
      createHash("md5").update("0123456789").digest("hex"),
    );
    expect(head.headers.get("last-modified")).toMatch(/GMT$/);
    expect((await fetch(`${api}/h/missing`, { method: "HEAD" })).status).toBe(404);

    const missing = await fetch(`${api}/h/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'key "h/missing" does not exist', reason: "NOT_FOUND" });

    expect((await fetch(`${api}/h/v.txt`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${api}/h/v.txt`, { method: "DELETE" })).status).toBe(404);
    expect((await fetch(`${api}/h/v.txt`, { method: "POST" })).status).toBe(405);
  });

  // A value stored in chunks goes out as fast as the client reads. A client that stops reading and
  // then goes away must end the call and its read of the chunks: before, the call waited for a
  // "drain" that never came, and held its read forever.
  it("ends a chunked GET, and its read of the chunks, when a client stops reading and goes away", async () => {
    const CHUNKS = 32; // more than the sockets' buffers hold, so that the server's writes back up
    const put = await fetch(`${api}/h/big.bin`, {
      method: "PUT",
      body: new Uint8Array(CHUNKS * 1024 * 1024).fill(7), // 1 MiB chunks
    });
    expect(put.status).toBe(201);
    // The store's reads of chunked values, watched from their start to their end.
    const store = server.store;
    const chunks = store.chunks.bind(store);
    let reading = 0;
    let chunksRead = 0;
    store.chunks = async function* (...args: Parameters<typeof chunks>) {
      reading++;
      try {
        for await (const chunk of chunks(...args)) {
          chunksRead++;
          yield chunk;
        }
      } finally {
        reading--;
      }
    };
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const req = request(`${api}/h/big.bin`, (res) => {
          expect(res.statusCode).toBe(200);
          res.pause(); // read nothing: the server's writes fill the socket, then wait
          resolve(res.socket);
        });
        req.on("error", reject);
        req.end();
      });
      await until("the first chunk read", () => chunksRead > 0);
      await new Promise((r) => setTimeout(r, 200));
      expect(reading).toBe(1); // waiting for the client
      const sent = chunksRead;
      expect(sent).toBeLessThan(CHUNKS);
      socket.destroy();
      await until("the read to end", () => reading === 0);
      expect(reading).toBe(0);
      expect(chunksRead).toBeLessThanOrEqual(sent + 1); // nothing read for nobody
    } finally {
      store.chunks = chunks;
    }
  });

  // The touched time is stored as gRPC's Touch stores it: a pickled aware datetime.
  it("touches with PATCH and answers the time in ISO 8601", async () => {
    const touch = await fetch(`${api}/h/touched`, { method: "PATCH" });
    expect(touch.status).toBe(200);
    const iso = await touch.text();
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    // The touched value is a datetime over gRPC, as gRPC's Touch stores it.
    const grpc = createStore({ baseUrl: server.url });
    expect(await grpc.get("h/touched")).toEqual(new Date(iso));
  });

  it("lists keys relative to the prefix, with exclude_prefix and glob", async () => {
    for (const key of ["l/a.json", "l/b.txt", "l/sub/c.json", "l/sub/deeper/d.json", "lx"]) {
      await fetch(`${api}/${key}`, { method: "PUT", body: key });
    }
    const list = async (query: string) => (await (await fetch(`${api}/l/${query}`)).text()).split("\n");
    expect(await list("")).toEqual(["a.json", "b.txt", "sub/c.json", "sub/deeper/d.json", ""]);
    expect(await list("?exclude_prefix=sub")).toEqual(["a.json", "b.txt", ""]);
    expect(await list("?glob=*.json")).toEqual(["a.json", ""]);
    expect(await list("?glob=**/*.json")).toEqual(["a.json", "sub/c.json", "sub/deeper/d.json", ""]);
    expect(await (await fetch(`${api}/nothing/here/`)).text()).toBe("");
  });

  it("refuses the keys gRPC refuses, with curl as a person types it", async () => {
    // curl prints the body, then the status on a line of its own.
    const curl = async (...args: string[]) => {
      const { stdout } = await run("curl", ["-sS", "-w", "\n%{http_code}", ...args]);
      const cut = stdout.lastIndexOf("\n");
      return { body: stdout.slice(0, cut), status: stdout.slice(cut + 1) };
    };
    const traversal = await curl(
      "--path-as-is",
      "-X",
      "PUT",
      "--data-binary",
      "x",
      `${api}/a/../../etc/passwd`,
    );
    expect(traversal.status).toBe("400");
    expect(JSON.parse(traversal.body).detail).toMatch(/\.\./);
    expect((await curl("-X", "PUT", "--data-binary", "x", `${api}/%2e%2e/secret`)).status).toBe("400");
    expect((await curl("-X", "PUT", "--data-binary", "x", `${api}/bad%00key`)).status).toBe("400");
    expect(
      (await curl("-X", "PUT", "--data-binary", "@package.json", `${api}/curl/package.json`)).status,
    ).toBe("201");
    const back = await curl(`${api}/curl/package.json`);
    expect(JSON.parse(back.body).name).toBe("anykv");
    const grpc = createStore({ baseUrl: server.url });
    const err = await grpc.get("../etc/passwd").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it("serves under a configured prefix, or not at all", async () => {
    const custom = await startTestServer({ backend: "memory", anystorePrefix: "/kv/http" });
    expect((await fetch(`${custom.url}/kv/http/k`, { method: "PUT", body: "v" })).status).toBe(201);
    expect(await (await fetch(`${custom.url}/kv/http/k`)).text()).toBe("v");
    const off = await startTestServer({ backend: "memory", anystorePrefix: "" });
    expect((await fetch(`${off.url}/anystore/k`, { method: "PUT", body: "v" })).status).toBe(404);
  });
});
