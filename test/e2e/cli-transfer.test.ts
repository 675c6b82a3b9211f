import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { type AnykvStore, createStore, tuple } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { runCli } from "../support/cli-process.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

// Several CLI processes per test, some moving megabytes (slow on a loaded machine).
vi.setConfig({ testTimeout: 120_000 });

let server: RunningServer;
let dir: string;
const cli = (args: readonly string[], input?: string | Uint8Array) =>
  runCli(args, { ANYKV_URL: server.url }, input);
const storeIn = (namespace: string): AnykvStore => createStore({ baseUrl: server.url, namespace });

beforeAll(async () => {
  server = await startTestServer({ backend: "memory", allowCode: true });
  dir = tempDir();
});

describe("anykv upload and download", () => {
  it("move files and stdin/stdout in chunks, with progress (rate and time left) only when asked", async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    bytes.write("start", 0);
    const source = join(dir, "blob.bin");
    writeFileSync(source, bytes);
    const up = await cli([
      "upload",
      "files/blob",
      source,
      "--progress",
      "--content-type",
      "application/x-test",
    ]);
    expect(up.code, up.output).toBe(0);
    expect(up.stdout).toMatch(/^stored files\/blob \(3145728 bytes, sha256 [0-9a-f]{64}, revision \d+\)\n$/);
    const lines = up.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^uploaded 1\.0 MiB \/ 3\.0 MiB \(33%\), [\d.]+ MiB\/s, ETA \d+s$/);
    expect(lines.at(-1)).toMatch(/^uploaded 3\.0 MiB \/ 3\.0 MiB \(100%\), [\d.]+ MiB\/s, done in \d+s$/);

    const target = join(dir, "copy.bin");
    const [down, quiet, piped, fromStdin] = await Promise.all([
      cli(["download", "files/blob", target, "--progress"]),
      cli(["download", "files/blob", "-"]),
      cli(["put", "files/small", "--file", "-"], "small bytes"),
      cli(["upload", "files/stdin", "-", "--ttl", "1h"], bytes),
    ]);
    expect(down.stdout).toBe(`downloaded files/blob to ${target} (3145728 bytes)\n`);
    expect(down.stderr).toMatch(/^downloaded 1\.0 MiB \/ 3\.0 MiB \(33%\), [\d.]+ MiB\/s, ETA \d+s$/m);
    expect(down.stderr).toMatch(/^downloaded 3\.0 MiB \/ 3\.0 MiB \(100%\), .* done in \d+s$/m);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(quiet.stderr).toBe(""); // stderr is not a terminal and --progress was not given
    expect(quiet.stdoutBytes.equals(bytes)).toBe(true);
    expect(piped.stdout).toMatch(/^stored files\/small \(11 bytes/);
    expect(fromStdin.code, fromStdin.output).toBe(0);
    const store = storeIn("");
    expect((await store.info("files/blob")).contentType).toBe("application/x-test");
    expect(Buffer.from(await store.get<Uint8Array>("files/small")).toString()).toBe("small bytes");
    const info = await store.info("files/stdin");
    expect(info.size).toBe(bytes.length);
    expect(info.expiresAt).toBeDefined();
  });
});

describe("anykv export and import", () => {
  const LARGE = Buffer.alloc(5 * 1024 * 1024, 3); // beyond one message: exported through Download
  let expiresAt: Date;

  beforeAll(async () => {
    const src = storeIn("src");
    await src.models.registerJsonSchema("cli.Person", { type: "object", required: ["name"] });
    await src.putMany({
      "v/text": "hello",
      "v/json": { a: [1, 2.5, null], b: "x" },
      "v/bytes": new Uint8Array([0, 1, 255]),
      "v/date": new Date("2026-01-02T03:04:05.678Z"),
      "v/big": 2n ** 70n,
      "v/map": new Map<unknown, unknown>([
        [1, "one"],
        ["two", new Uint8Array([2])],
      ]),
      "v/set": new Set([1, 2, 3]),
      "v/tuple": tuple(1, "a"),
      "v/a": "a file and a directory of the same name",
      "v/a/b": "under it",
    });
    await src.put("v/pickled", "stored as a pickle", { mode: "pickle" });
    await src.put("v/fn", (x: number) => x * 2);
    await src.put("v/person", { name: "Ada" }, { model: "cli.Person" });
    expiresAt = (await src.put("v/expiring", "soon gone", { ttl: 3600 }))!.expiresAt!;
    await src.upload("v/large", LARGE, { contentType: "application/x-large" });
  });

  /** Every key of `ns` reads back as in "src": the same JavaScript values and storage. */
  async function expectSameAsSource(ns: string) {
    const src = storeIn("src");
    const copy = storeIn(ns);
    const keys: string[] = [];
    for await (const key of src.keys()) keys.push(key);
    const copied: string[] = [];
    for await (const key of copy.keys()) copied.push(key);
    expect(copied).toEqual(keys);
    for (const key of keys) {
      const [a, b] = [await src.info(key), await copy.info(key)];
      expect({ key, kind: b.kind, codec: b.codec, model: b.model, contentType: b.contentType }).toEqual({
        key,
        kind: a.kind,
        codec: a.codec,
        model: a.model,
        contentType: a.contentType,
      });
      if (key === "v/large") {
        expect(await copy.checksum(key)).toBe(await src.checksum(key));
        continue;
      }
      const read = { trustCode: true };
      const [va, vb] = [await src.get(key, read), await copy.get(key, read)];
      if (typeof va === "function") expect(String(vb)).toBe(String(va));
      else expect(vb, key).toEqual(va);
    }
  }

  it("round-trips every kind, the content type and the expiry through JSON lines, with progress", async () => {
    const file = join(dir, "export.jsonl");
    const out = await cli(["export", file, "-n", "src", "--progress"]);
    expect(out.code, out.output).toBe(0);
    expect(out.stdout).toBe(`exported 15 keys to ${file}\n`);
    expect(out.stderr).toMatch(
      /^exported 1 keys \/ 15 keys \(6%\), [\d.]+ keys\/s, ETA \d+s \([\d.]+ MiB\)$/m,
    );
    expect(out.stderr).toMatch(/^exported 15 keys \/ 15 keys \(100%\), .* done in \d+s \(5\.0 MiB\)$/m);
    const records = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records.find((r) => r.key === "v/date")).toMatchObject({
      kind: "data",
      value: { data: { datetimeValue: { year: 2026 } } },
    });
    expect(records.find((r) => r.key === "v/expiring")).toMatchObject({ expiresAt: expiresAt.toISOString() });

    const imported = await cli(["import", file, "-n", "copy", "--progress"]);
    expect(imported.code, imported.output).toBe(0);
    expect(imported.stdout).toBe("imported 15 keys\n");
    expect(imported.stderr).toMatch(
      /^imported [\d.]+ MiB \/ [\d.]+ MiB \(100%\), .* done in \d+s \(15 keys\)$/m,
    );
    await expectSameAsSource("copy");
    // Absolute expiry (the default): the copy expires when the original does.
    const copied = await storeIn("copy").info("v/expiring");
    expect(Math.abs(copied.expiresAt!.getTime() - expiresAt.getTime())).toBeLessThan(2000);
  });

  it("round-trips through stdout and stdin, and through a directory of files", async () => {
    const exported = await cli(["export", "-", "-n", "src"]);
    expect(exported.stderr).toBe("");
    expect(exported.stdout.trim().split("\n")).toHaveLength(15);
    const piped = await cli(["import", "-", "-n", "piped"], exported.stdout);
    expect(piped.stdout).toBe("imported 15 keys\n");
    await expectSameAsSource("piped");

    const target = join(dir, "tree");
    const tree = await cli(["export", "--dir", target, "-n", "src"]);
    expect(tree.stdout).toBe(`exported 15 keys to ${target}\n`);
    // Raw, text and JSON values are files a person can read, at their keys' paths.
    expect(readFileSync(join(target, "v/text"), "utf8")).toBe("hello");
    expect(JSON.parse(readFileSync(join(target, "v/json"), "utf8"))).toEqual({ a: [1, 2.5, null], b: "x" });
    expect(readFileSync(join(target, "v/large")).equals(LARGE)).toBe(true);
    expect(readFileSync(join(target, "v/a"), "utf8")).toBe("a file and a directory of the same name");
    expect(existsSync(join(target, ".anykv-export.jsonl"))).toBe(true);
    const again = await cli(["export", "--dir", target, "-n", "src"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("is not empty: export into a new directory");
    const fromTree = await cli(["import", "--dir", target, "-n", "tree"]);
    expect(fromTree.stdout).toBe("imported 15 keys\n");
    await expectSameAsSource("tree");
  });

  it("skips keys whose absolute expiry has passed, or gives them the time they had left; reads any directory as bytes", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const lines = [
      JSON.stringify({
        key: "e/gone",
        value: { text: "x" },
        kind: "text",
        codec: "text",
        expiresAt: past,
        ttl: 30,
      }),
      JSON.stringify({ key: "e/kept", value: { text: "y" }, kind: "text", codec: "text" }),
    ].join("\n");
    const absolute = await cli(["import", "-", "-n", "abs"], lines);
    expect(absolute.stdout).toBe("imported 1 keys (1 expired, skipped)\n");
    expect(await storeIn("abs").exists("e/gone")).toBe(false);
    expect((await storeIn("abs").info("e/kept")).expiresAt).toBeUndefined();
    const remaining = await cli(["import", "-", "-n", "rem", "--expiry", "remaining"], lines);
    expect(remaining.stdout).toBe("imported 2 keys\n");
    const info = await storeIn("rem").info("e/gone");
    expect(info.expiresAt!.getTime() - info.updatedAt!.getTime()).toBe(30_000);

    const plain = join(dir, "plain");
    await mkdir(join(plain, "sub"), { recursive: true });
    writeFileSync(join(plain, "a.txt"), "A");
    writeFileSync(join(plain, "sub", "b.bin"), new Uint8Array([1, 2]));
    const files = await cli(["import", "--dir", plain, "-n", "plain"]);
    expect(files.stdout).toBe("imported 2 keys\n");
    expect(await storeIn("plain").get("sub/b.bin")).toEqual(new Uint8Array([1, 2]));

    const broken = await cli(
      ["import", "-", "-n", "broken"],
      '{"key": "k", "value": {"text": "v"}}\nnot json\n',
    );
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("stdin line 2 is not JSON: an export has one JSON object per line");
  });
});
