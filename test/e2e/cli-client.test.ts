import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { runCli } from "../support/cli-process.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

let server: RunningServer;
const env = () => ({ ANYKV_URL: server.url });
beforeAll(async () => {
  server = await startTestServer();
});

describe("anykv get / put / keys / info / delete from a shell", () => {
  it("puts text and JSON, reads them back, lists and deletes", async () => {
    expect((await runCli(["put", "cli/greeting", "hello"], env())).output).toMatch(
      /stored cli\/greeting \(revision \d+\)/,
    );
    expect((await runCli(["put", "cli/obj", "--json", '{"a":[1,2]}'], env())).code).toBe(0);
    expect((await runCli(["get", "cli/greeting"], env())).output).toBe("hello\n");
    expect(JSON.parse((await runCli(["get", "cli/obj"], env())).output)).toEqual({ a: [1, 2] });
    expect((await runCli(["keys", "cli"], env())).output).toBe("cli/greeting\ncli/obj\n");
    const info = JSON.parse((await runCli(["info", "cli/obj"], env())).output);
    expect(info).toMatchObject({ key: "cli/obj", codec: "json", kind: "json" });
    expect((await runCli(["delete", "cli/obj"], env())).output).toBe("deleted cli/obj\n");
    // What the CLI stored, the typed client reads as the same types.
    expect(await createStore({ baseUrl: server.url }).get("cli/greeting")).toBe("hello");
  });

  it("uploads and downloads files with progress and a checksum", async () => {
    const dir = tempDir();
    const source = join(dir, "blob.bin");
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(source, bytes);
    const put = await runCli(["put", "cli/blob", "--file", source], env());
    expect(put.code).toBe(0);
    expect(put.output).toMatch(/uploaded 3\.0 MiB \/ 3\.0 MiB \(100%\).*done/);
    expect(put.output).toMatch(/sha256 [0-9a-f]{64}/);
    const target = join(dir, "copy.bin");
    const get = await runCli(["get", "cli/blob", "--output", target], env());
    expect(get.code).toBe(0);
    expect(get.output).toMatch(/downloaded 3\.0 MiB.*done/);
    expect(readFileSync(target).equals(bytes)).toBe(true);
  });

  it("says what went wrong and what to do", async () => {
    const missing = await runCli(["get", "cli/nope"], env());
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('NotFound: key "cli/nope" does not exist');
    const down = await runCli(["get", "k"], { ANYKV_URL: "http://127.0.0.1:1" });
    expect(down.code).toBe(1);
    expect(down.output).toContain("is the server running?");
    const noKey = await runCli(["get"], env());
    expect(noKey.output).toContain("anykv get needs a KEY");
  });
});
