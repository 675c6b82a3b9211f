import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnServer } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

describe("anykv serve start-up configuration (real process)", () => {
  it("exits non-zero on a bad value, naming the option and where it came from", async () => {
    const dir = tempDir();
    const file = join(dir, "anykv.yaml");
    writeFileSync(file, "max-depth: deep\n");
    const cases = [
      { args: ["--port", "x"], env: {}, says: '--port (command line): "x" is not a whole number' },
      { args: [], env: { ANYKV_READONLY: "maybe" }, says: "ANYKV_READONLY (environment, for --readonly)" },
      { args: ["--config", file], env: {}, says: `max-depth in ${file} (for --max-depth)` },
      { args: ["--host", "0.0.0.0"], env: {}, says: "protected mode: --host 0.0.0.0" },
    ];
    const runs = await Promise.all(
      cases.map(({ args, env }) => runCli(["serve", "--backend", "memory", "--port", "0", ...args], env)),
    );
    for (const [i, { code, output }] of runs.entries()) {
      expect(code, output).not.toBe(0);
      expect(output).toContain(`anykv: invalid configuration: ${cases[i]!.says}`);
      expect(output).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it("starts with options from a config file, flags winning over it", async () => {
    const dir = tempDir();
    const file = join(dir, "anykv.json");
    writeFileSync(file, JSON.stringify({ backend: "memory", port: 1, readonly: true }));
    const server = await spawnServer(["--config", file]); // spawnServer adds --port 0
    expect(server.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ .*memory.*\(read-only\)/);
    expect(await server.stop(), server.output()).toBe(0);
  });

  it("prints help generated from the option table on stdout", async () => {
    const { code, output } = await runCli(["serve", "--help"]);
    expect(code).toBe(0);
    expect(output).toMatch(/--max-depth <N>\s+deepest nesting/);
    expect(output).toContain("ANYKV_SWEEP_INTERVAL");
  });
});
