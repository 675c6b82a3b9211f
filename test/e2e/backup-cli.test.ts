import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import { runCli } from "../support/cli-process.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

const MAIN = join(import.meta.dirname, "../../dist/src/cli/main.js");

/** Runs the CLI with stdin from a file and stdout into one; resolves with the exit code and stderr. */
function runWithFiles(args: string[], stdin: string | undefined, stdout: string) {
  const input = stdin === undefined ? "ignore" : openSync(stdin, "r");
  const output = openSync(stdout, "w");
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: [input, output, "pipe"] });
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once("exit", (code) => {
      if (typeof input === "number") closeSync(input);
      closeSync(output);
      resolve({ code, stderr: err });
    }),
  );
}

describe("anykv backup FILE / anykv restore FILE", () => {
  it("backs up to a file and restores it into another server, with progress", async () => {
    const source = await startTestServer({ backend: "memory" });
    const client = createStore({ baseUrl: source.url });
    for (let i = 0; i < 300; i++) await client.put(`cli/${i}`, { i });
    const file = join(tempDir(), "cli.anykvbak");

    const backup = await runCli(["backup", file, "--url", source.url, "--progress"]);
    expect(backup.code, backup.output).toBe(0);
    expect(backup.output).toMatch(/backed up 300 keys .*keys\/s, done in \d+s/);
    expect(backup.output).toMatch(/backed up 300 records to .*cli\.anykvbak/);

    const target = await startTestServer({ backend: "memory" });
    const restore = await runCli(["restore", file, "--progress"], { ANYKV_URL: target.url });
    expect(restore.code, restore.output).toBe(0);
    expect(restore.output).toMatch(/sent .* MiB .*done in/);
    expect(restore.output).toMatch(/restored 300 records \(a backup of revision \d+/);
    expect(await createStore({ baseUrl: target.url }).get("cli/299")).toEqual({ i: 299 });
  });

  it("writes to stdout and reads from stdin with -, and refuses a damaged file (exit 1, nothing changed)", async () => {
    const source = await startTestServer({ backend: "memory" });
    await createStore({ baseUrl: source.url }).put("piped", "through stdout");
    const dir = tempDir();
    const file = join(dir, "piped.anykvbak");
    const backup = await runWithFiles(["backup", "-", "--url", source.url], undefined, file);
    expect(backup.code, backup.stderr).toBe(0);
    expect(readFileSync(file).subarray(0, 8).toString()).toBe("ANYKVBAK");

    const target = await startTestServer({ backend: "memory" });
    const restored = await runWithFiles(["restore", "-", "--url", target.url], file, join(dir, "out.txt"));
    expect(restored.code, restored.stderr).toBe(0);
    expect(await createStore({ baseUrl: target.url }).get("piped")).toBe("through stdout");

    const damaged = join(dir, "damaged.anykvbak");
    const bytes = readFileSync(file);
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 10));
    await createStore({ baseUrl: target.url }).put("piped", "changed since");
    const refused = await runCli(["restore", damaged, "--url", target.url]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("the backup is truncated");
    expect(await createStore({ baseUrl: target.url }).get("piped")).toBe("changed since");
  });
});
