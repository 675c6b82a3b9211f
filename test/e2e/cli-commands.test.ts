import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { type AnykvStore, createStore } from "../../src/client/index.js";
import { fileDescriptorSet } from "../../src/codec/models/file-descriptor-set.js";
import type { RunningServer } from "../../src/server/server.js";
import { UserSchema } from "../models/gen/acme/v1/user_pb.js";
import { runCli } from "../support/cli-process.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

// Each test runs a dozen CLI processes (each one loads the client: ~0.3 s, several times that
// on a loaded machine).
vi.setConfig({ testTimeout: 120_000 });

let server: RunningServer;
let store: AnykvStore;
/** The server as every command finds it: through ANYKV_URL. */
const cli = (args: readonly string[], input?: string | Uint8Array) =>
  runCli(args, { ANYKV_URL: server.url }, input);

beforeAll(async () => {
  server = await startTestServer({ backend: "memory", allowCode: true });
  store = createStore({ baseUrl: server.url });
});

describe("anykv commands of one key", () => {
  it("put, get, exists, info, touch, checksum, pop and delete, as text", async () => {
    const put = await cli(["put", "one/greeting", "hello"]);
    expect(put).toMatchObject({ code: 0, stderr: "" });
    expect(put.stdout).toMatch(/^stored one\/greeting \(revision \d+\)\n$/);
    const [get, exists, missing, info, checksum] = await Promise.all([
      cli(["get", "one/greeting"]),
      cli(["exists", "one/greeting"]),
      cli(["exists", "one/none"]),
      cli(["info", "one/greeting"]),
      cli(["checksum", "one/greeting", "--algorithm", "md5"]),
    ]);
    expect(get).toMatchObject({ code: 0, stdout: "hello\n" });
    expect(exists).toMatchObject({ code: 0, stdout: "true\n" });
    expect(missing).toMatchObject({ code: 1, stdout: "false\n" }); // exit 1, as test(1): `if anykv exists k`
    expect(info.stdout).toMatch(/^key: +one\/greeting$/m);
    expect(info.stdout).toMatch(/^kind: +text$/m);
    expect(checksum.stdout).toBe("5d41402abc4b2a76b9719d911017c592\n"); // md5("hello")
    const touch = await cli(["touch", "one/greeting", "--ttl", "1h"]);
    const touched = new Date(touch.stdout.trim());
    expect(Math.abs(touched.getTime() - Date.now())).toBeLessThan(60_000);
    const after = await store.info("one/greeting");
    expect(after.expiresAt!.getTime() - after.updatedAt!.getTime()).toBe(3_600_000);

    await store.put("one/popped", { a: 1 });
    const pop = await cli(["pop", "one/popped"]);
    expect(JSON.parse(pop.stdout)).toEqual({ a: 1 });
    expect(await store.exists("one/popped")).toBe(false);
    const [deleted, absent] = [await cli(["delete", "one/greeting"]), await cli(["delete", "one/greeting"])];
    expect(deleted.stdout).toBe("deleted one/greeting\n");
    expect(absent.stdout).toBe("one/greeting did not exist\n");
    const notFound = await cli(["get", "one/greeting"]);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toBe('anykv: NotFound: key "one/greeting" does not exist\n');
  });

  it("stores what it was given with the kind it has: text, JSON, bytes, each from stdin with -", async () => {
    const bytes = new Uint8Array([0, 1, 2, 255, 10]);
    const runs = await Promise.all([
      cli(["put", "kinds/text", "-"], "line one\nline two\n"),
      cli(["put", "kinds/json", "--json", "-"], '{"n": [1, 2.5, null], "s": "x"}'),
      cli(["put", "kinds/bytes", "--file", "-"], bytes),
      cli(["put", "kinds/pickled", "--file", "-", "--mode", "pickle"], bytes),
      cli(["put", "kinds/ttl", "v", "--ttl", "90s"]),
    ]);
    for (const run of runs) expect(run, run.output).toMatchObject({ code: 0, stderr: "" });
    expect(await store.get("kinds/text")).toBe("line one\nline two\n");
    expect(await store.get("kinds/json")).toEqual({ n: [1, 2.5, null], s: "x" });
    expect(await store.get("kinds/bytes")).toEqual(bytes);
    // --mode applies with --file: the bytes are stored as a pickle of bytes, read back as bytes.
    expect((await store.info("kinds/pickled")).codec).toBe("pickle");
    expect(await store.get("kinds/pickled")).toEqual(bytes);
    const ttl = await store.info("kinds/ttl");
    expect(ttl.expiresAt!.getTime() - ttl.updatedAt!.getTime()).toBe(90_000);

    const [text, raw, download, notText] = await Promise.all([
      cli(["get", "kinds/text"]),
      cli(["get", "kinds/bytes"]),
      cli(["download", "kinds/text", "-"]),
      cli(["put", "kinds/nope", "-"], bytes),
    ]);
    expect(text.stdout).toBe("line one\nline two\n"); // no second newline
    expect(raw.stdoutBytes).toEqual(Buffer.from(bytes)); // bytes raw to stdout
    expect(download.stdout).toBe("line one\nline two\n");
    expect(notText.code).toBe(2);
    expect(notText.stderr).toContain(
      "stdin is not UTF-8 text; to store bytes, use --file - or anykv upload KEY -",
    );
  });

  it("--output json prints one JSON document with the value's kind, and --namespace works in its own space", async () => {
    await store.put("json/when", new Date("2026-01-02T03:04:05.678Z"));
    await store.put("json/big", 2n ** 64n);
    const [when, big, info, put] = await Promise.all([
      cli(["get", "json/when", "--output", "json"]),
      cli(["get", "json/big", "-o", "json"]),
      cli(["info", "json/big", "-o", "json"]),
      cli(["put", "json/x", "1", "-o", "json", "--namespace", "other"]),
    ]);
    const other = await cli(["get", "json/x", "-n", "other"]);
    const doc = JSON.parse(when.stdout);
    expect(doc.key).toBe("json/when");
    expect(doc.info).toMatchObject({ key: "json/when", kind: "data" });
    expect(doc.value.data.datetimeValue).toMatchObject({ year: 2026, month: 1, day: 2, utcOffsetSeconds: 0 });
    expect(JSON.parse(big.stdout).value).toEqual({ data: { intValue: "18446744073709551616" } });
    expect(JSON.parse(info.stdout)).toMatchObject({
      key: "json/big",
      kind: "data",
      revision: expect.any(Number),
    });
    expect(JSON.parse(put.stdout)).toMatchObject({ key: "json/x", namespace: "other", kind: "text" });
    expect(other.stdout).toBe("1\n");
    // As text, data trees print as JSON a person reads: exact integers, ISO dates.
    expect((await cli(["get", "json/big"])).stdout).toBe("18446744073709551616\n");
    expect((await cli(["get", "json/when"])).stdout).toBe('"2026-01-02T03:04:05.678Z"\n');
  });

  it("reads a stored function only with --trust-code, and prints its source without running it", async () => {
    await store.put("code/add", (a: number, b: number) => a + b);
    const [untrusted, trusted, json] = await Promise.all([
      cli(["get", "code/add"]),
      cli(["get", "code/add", "--trust-code"]),
      cli(["get", "code/add", "-o", "json"]),
    ]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain(
      "the stored value is javascript code; pass --trust-code to print its source",
    );
    expect(trusted).toMatchObject({ code: 0, stdout: "(a, b) => a + b\n" });
    expect(JSON.parse(json.stdout).value).toEqual({
      code: { language: "javascript", source: "(a, b) => a + b" },
    });
    // In a listing, code is a note unless trusted, and the listing goes on.
    await store.put("code/note", "after");
    const [listed, listedTrusted] = await Promise.all([
      cli(["values", "code"]),
      cli(["values", "code", "--trust-code"]),
    ]);
    expect(listed.stdout).toBe("code/add\t<code: --trust-code prints its source>\ncode/note\tafter\n");
    expect(listedTrusted.stdout).toBe("code/add\t(a, b) => a + b\ncode/note\tafter\n");
  });
});

describe("anykv commands of many keys", () => {
  it("keys, values and delete-prefix, as text and as JSON lines", async () => {
    await store.putMany({
      "many/a": "x",
      "many/b": { n: 1 },
      "many/c/d": new Uint8Array([1, 2]),
      "other/z": "z",
    });
    const [keys, limited, json, values, valuesJson] = await Promise.all([
      cli(["keys", "many"]),
      cli(["keys", "many", "--limit", "1", "--reverse"]),
      cli(["keys", "--glob", "many/*", "-o", "json"]),
      cli(["values", "many"]),
      cli(["values", "many", "--output", "json"]),
    ]);
    expect(keys.stdout).toBe("many/a\nmany/b\nmany/c/d\n");
    expect(limited.stdout).toBe("many/c/d\n");
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual(["many/a", "many/b"]);
    expect(values.stdout).toBe('many/a\tx\nmany/b\t{"n":1}\nmany/c/d\t<2 bytes>\n');
    const lines = valuesJson.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.key, l.value])).toEqual([
      ["many/a", { text: "x" }],
      ["many/b", { json: { n: 1 } }],
      ["many/c/d", { raw: "AQI=" }],
    ]);
    const removed = await cli(["delete-prefix", "many", "-o", "json"]);
    expect(JSON.parse(removed.stdout)).toEqual({ prefix: "many", deleted: 3 });
    expect(await store.exists("other/z")).toBe(true);
  });

  it("stream prints a value line by line; watch prints changes from a revision", async () => {
    await store.put("lines/log", "one\ntwo\nthree\n");
    const stream = await cli(["stream", "lines/log"]);
    expect(stream.stdout).toBe("one\ntwo\nthree\n");
    const first = await store.put("watched/a", "1");
    await store.put("watched/b", { v: 2 });
    await store.delete("watched/a");
    const [text, json] = await Promise.all([
      cli(["watch", "watched", "--start-revision", String(first!.revision), "--count", "3", "--values"]),
      cli(["watch", "watched", "--start-revision", String(first!.revision), "--count", "2", "-o", "json"]),
    ]);
    const r = Number(first!.revision);
    expect(text.stdout).toBe(
      `put watched/a (revision ${r}) 1\nput watched/b (revision ${r + 1}) {"v":2}\ndelete watched/a (revision ${r + 2})\n`,
    );
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { type: "put", key: "watched/a", revision: r },
      { type: "put", key: "watched/b", revision: r + 1 },
    ]);
  });
});

describe("anykv models and health", () => {
  it("registers, lists, reads and deletes models; health says SERVING", async () => {
    const dir = tempDir();
    const set = join(dir, "user.binpb");
    writeFileSync(set, toBinary(FileDescriptorSetSchema, fileDescriptorSet(UserSchema.file)));
    const schema = join(dir, "person.json");
    writeFileSync(schema, JSON.stringify({ type: "object", required: ["name"] }));
    const [proto, json] = await Promise.all([
      cli(["models", "register", set]),
      cli(["models", "register", schema, "--name", "py.Person"]),
    ]);
    expect(proto.stdout).toContain("registered acme.v1.User (protobuf)");
    expect(json.stdout).toBe("registered py.Person (json-schema)\n");
    const [list, get, getProto, health, healthJson] = await Promise.all([
      cli(["models", "list", "-o", "json"]),
      cli(["models", "get", "py.Person"]),
      cli(["models", "get", "acme.v1.User"]),
      cli(["health"]),
      cli(["health", "-o", "json"]),
    ]);
    expect(JSON.parse(list.stdout).map((m: { name: string }) => m.name)).toContain("py.Person");
    expect(JSON.parse(get.stdout)).toEqual({ type: "object", required: ["name"] });
    expect(getProto.stdout).toContain("acme.v1.User: protobuf message in acme/v1/user.proto");
    expect(health).toMatchObject({ code: 0, stdout: "SERVING\n" });
    expect(JSON.parse(healthJson.stdout)).toEqual({ service: "", status: "SERVING" });

    // A put validated by a model, and a get of a protobuf model's message printed as its JSON.
    const bad = await cli(["put", "people/x", "--json", "{}", "--model", "py.Person"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("InvalidArgument");
    await store.put("people/ada", { id: "a", email: "ada@example.com" }, { model: UserSchema });
    const message = await cli(["get", "people/ada", "--model", "acme.v1.User"]);
    expect(JSON.parse(message.stdout)).toMatchObject({ id: "a", email: "ada@example.com" });

    const deleted = await cli(["models", "delete", "py.Person"]);
    expect(deleted.stdout).toBe("deleted py.Person\n");
  });
});
