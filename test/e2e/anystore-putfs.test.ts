import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";
import { run } from "../support/tools.js";

/**
 * anystore 1.5.x reaches HTTP stores through putfs (`putfs://`), which lists keys with the
 * HTTP QUERY method. The real client (anystore[http,putfs] 1.5.5 in .tools/venv-putfs) against
 * /anystore, and putfs's protocol as the server answers it.
 */
let server: RunningServer;
let api: string;
beforeAll(async () => {
  server = await startTestServer();
  api = `${server.url}/anystore`;
});

const query = (path: string, body?: string, contentType = "text/plain") =>
  fetch(`${api}/${path}`, {
    method: "QUERY",
    ...(body === undefined ? {} : { body, headers: { "Content-Type": contentType } }),
  });

describe("the real anystore 1.5 over putfs://", () => {
  it("puts, gets, lists by QUERY, checks, streams and deletes; gRPC sees the same data", async () => {
    const grpc = createStore({ baseUrl: server.url });
    await grpc.put("from-grpc/value", { from: "grpc" });
    const result = await run(
      "python3-putfs",
      ["test/python/anystore_putfs_client.py", `putfs://127.0.0.1:${server.port}/anystore`],
      { env: { PUTFS_HTTPS: "false" }, timeoutMs: 120_000 },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout);
    const docs = ["docs/a.json", "docs/b.txt", "docs/sub/c.json", "docs/sub/deeper/d.csv"];
    expect(seen.from_grpc).toEqual({ from: "grpc" });
    expect(seen.deleted_get).toBe("DoesNotExist");
    expect(seen.all_keys).toEqual([...docs, "other/raw.bin"]);
    expect(seen.prefix_docs).toEqual(docs);
    expect(seen.depth_1).toEqual(["docs/a.json", "docs/b.txt"]);
    expect(seen.depth_2).toEqual(["docs/a.json", "docs/b.txt", "docs/sub/c.json"]);
    expect(seen.glob_json).toEqual(["docs/a.json", "docs/sub/c.json"]);
    expect(seen.glob_class).toEqual(["docs/a.json", "docs/sub/c.json"]);
    expect(seen.exclude).toEqual(["docs/a.json", "docs/b.txt"]);
    expect(seen.info).toEqual({ name: "a.json", size: 20, mimetype: "application/json" });
    expect(seen.checksum).toBe(createHash("sha256").update("hello putfs").digest("hex"));
    expect(seen.big_lines).toBe(2);
    expect(seen.children).toEqual([
      ["a.json", false, 20],
      ["b.txt", false, 11],
      ["sub", true, null],
    ]);
    expect(seen.traversal).not.toBe("stored");

    // The 5 MiB value went up in one streamed PUT and sits in chunks; Download reads it whole.
    let size = 0;
    const hash = createHash("sha256");
    for await (const chunk of grpc.download("big/blob.bin")) {
      size += chunk.length;
      hash.update(chunk);
    }
    expect({ size, sha256: hash.digest("hex") }).toEqual(seen.big);
    expect(await grpc.get("docs/b.txt")).toBe("hello putfs");
    expect(await grpc.exists("gone")).toBe(false);
  });
});

describe("putfs's QUERY listing", () => {
  beforeAll(async () => {
    for (const key of ["q/a.json", "q/b/c.txt", "q/b/d/e.txt", "q/f/g.txt", "qq/x"]) {
      expect((await fetch(`${api}/${key}`, { method: "PUT", body: key })).status).toBe(201);
    }
  });
  const lines = async (res: Response) => {
    expect(res.status).toBe(200);
    return (await res.text()).split("\n").filter(Boolean);
  };

  it("lists every key below a prefix without a body, and to a depth with one", async () => {
    expect(await lines(await query("q/"))).toEqual(["a.json", "b/c.txt", "b/d/e.txt", "f/g.txt"]);
    expect(await lines(await query("q/", "1"))).toEqual(["a.json"]);
    expect(await lines(await query("q/", " 2\n"))).toEqual(["a.json", "b/c.txt", "f/g.txt"]);
    expect(await lines(await query("q/", "1 dirs"))).toEqual(["a.json", "b/", "f/"]);
    expect(await lines(await query("q/", "2 dirs"))).toEqual(["a.json", "b/c.txt", "b/d/", "f/g.txt"]);
    expect(await lines(await query("q/", "0 dirs"))).toEqual(["a.json"]);
    const all = await lines(await query("", "1 dirs"));
    expect(all).toEqual(expect.arrayContaining(["q/", "qq/"]));
  });

  it("lists a shallow depth past a large directory, seeking over its keys", async () => {
    const keys = [
      "deep/a",
      ...Array.from({ length: 100 }, (_, i) => `deep/big/k${i}/v`),
      "deep/big0",
      "deep/z",
    ];
    await createStore({ baseUrl: server.url }).putMany(keys.map((key) => ({ key, value: "v" })));
    expect(await lines(await query("deep/", "1 dirs"))).toEqual(["a", "big/", "big0", "z"]);
    expect(await lines(await query("deep/", "1"))).toEqual(["a", "big0", "z"]);
    const two = await lines(await query("deep/", "2 dirs"));
    expect(two).toHaveLength(103);
    expect(two.slice(0, 3)).toEqual(["a", "big/k0/", "big/k1/"]);
    expect(two.slice(-2)).toEqual(["big0", "z"]);
  });

  it("prefixes size and mtime in nanoseconds with stat", async () => {
    const before = BigInt(Date.now() - 60_000) * 1_000_000n;
    const stat = await lines(await query("q/", "1 dirs stat"));
    expect(stat.map((line) => line.split(" ").filter((_, i) => i !== 1))).toEqual([
      ["8", "a.json"],
      ["0", "b/"],
      ["0", "f/"],
    ]);
    for (const line of stat) expect(BigInt(line.split(" ")[1]!)).toBeGreaterThan(before);
  });

  it("answers putfs's statuses: 415, 400 and 405 with Allow", async () => {
    expect((await query("q/", "1", "application/json")).status).toBe(415);
    expect((await query("q/", "one")).status).toBe(400);
    expect((await query("q/", "1 stat dirs")).status).toBe(400);
    expect((await query("q/", "9".repeat(65))).status).toBe(400);
    const onKey = await query("q/a.json");
    expect([onKey.status, onKey.headers.get("allow")]).toEqual([405, "GET, HEAD, PUT, DELETE, PATCH"]);
    const putDir = await fetch(`${api}/q/`, { method: "PUT", body: "x" });
    expect([putDir.status, putDir.headers.get("allow")]).toEqual([405, "GET, QUERY"]);
    expect((await fetch(`${api}/q/`, { method: "DELETE" })).status).toBe(405);
  });
});

describe("mimetypes", () => {
  it("are guessed from the key's extension for values stored without one, as anystore does", async () => {
    const type = async (key: string) => {
      const res = await fetch(`${api}/${key}`, { method: "HEAD" });
      expect(res.headers.get("x-anystore-mimetype")).toBe(res.headers.get("content-type"));
      return res.headers.get("content-type");
    };
    for (const key of [
      "m/a.json",
      "m/b.CSV",
      "m/c.tar.gz",
      "m/d.tgz",
      "m/e",
      "m/.hidden",
      "m/f.unknownext",
    ]) {
      await fetch(`${api}/${key}`, { method: "PUT", body: "x" });
    }
    expect(await type("m/a.json")).toBe("application/json");
    expect(await type("m/b.CSV")).toBe("text/csv");
    expect(await type("m/c.tar.gz")).toBe("application/x-tar");
    expect(await type("m/d.tgz")).toBe("application/x-tar");
    expect(await type("m/e")).toBe("application/octet-stream");
    expect(await type("m/.hidden")).toBe("application/octet-stream");
    expect(await type("m/f.unknownext")).toBe("application/octet-stream");
    // A value stored with a type keeps it: a gRPC put of text is text, whatever its key says.
    await createStore({ baseUrl: server.url }).put("m/text.json", "plain words");
    expect(await type("m/text.json")).toMatch(/^text\/plain/);
    const get = await fetch(`${api}/m/a.json`);
    expect(get.headers.get("content-type")).toBe("application/json");
  });
});
