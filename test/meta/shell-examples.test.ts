import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "../../src/server/server.js";
import { fences, isTranscript, syntaxError, transcript } from "../support/markdown.js";
import { tempDir } from "../support/temp-dir.js";
import { run as runTool, tool } from "../support/tools.js";

/**
 * The documents' shell examples. Every ```sh block must parse (bash -n; in a transcript, each
 * `$ command`). A block tagged ```sh test runs for real, in order, against a fresh server (memory
 * backend, default options) with `anykv`, grpcurl and grpc-health-probe on PATH and the address
 * 127.0.0.1:50051 replaced by the server's. In a transcript, each command must exit 0 unless its
 * printed output shows an error, and each line it shows must be among the lines it printed —
 * except comments (`# …`), lines that hold an elision (…, ...) or a timestamp, which differ from run to run, and
 * revision numbers.
 */
const root = join(import.meta.dirname, "../..");
const documents = ["README.md", ...readdirSync(join(root, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);
const EXAMPLE_ADDRESS = "127.0.0.1:50051";

const blocks = documents.flatMap((document) =>
  fences(readFileSync(join(root, document), "utf8"))
    .filter((fence) => /^(sh|bash|shell)\b/.test(fence.info))
    .map((fence) => ({ ...fence, document, run: /\btest\b/.test(fence.info) })),
);

/** A bin directory with `anykv` (the built CLI) and the test tools first on PATH. */
function examplePath(): string {
  const bin = join(tempDir(), "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "anykv"),
    `#!/bin/sh\nexec node ${JSON.stringify(join(root, "dist/src/cli/main.js"))} "$@"\n`,
  );
  chmodSync(join(bin, "anykv"), 0o755);
  const tools = ["grpcurl", "grpc-health-probe", "curl"].map((name) => join(tool(name), ".."));
  return [bin, ...tools, process.env.PATH ?? ""].join(delimiter);
}

/** Revisions depend on what the server wrote before (the docs say so): compared as N. */
const normalize = (line: string) => line.trim().replace(/(revision\W{1,4})\d+/g, "$1N");
const shown = (line: string) =>
  line.trim() !== "" && !line.startsWith("# ") && !/…|\.\.\.|\d{4}-\d\d-\d\dT\d\d:\d\d/.test(line);

describe("shell examples in the documents", () => {
  it("has runnable examples", () => {
    expect(blocks.filter((b) => b.run).length).toBeGreaterThanOrEqual(3);
  });

  for (const block of blocks) {
    it(`${block.document} line ${block.line}: parses`, () => {
      const scripts = isTranscript(block.source)
        ? transcript(block.source).map((s) => s.command)
        : [block.source];
      for (const script of scripts) expect(syntaxError(script), script).toBeUndefined();
    });
  }

  for (const block of blocks.filter((b) => b.run)) {
    it(`${block.document} line ${block.line}: runs against a server`, async () => {
      const server = await startServer({ port: 0, backend: "memory" });
      try {
        const address = new URL(server.url).host;
        const env = { PATH: examplePath(), ANYKV_URL: server.url };
        // Asynchronously: the server answers from this very process.
        const run = (script: string) =>
          runTool("bash", ["-o", "pipefail", "-c", script.replaceAll(EXAMPLE_ADDRESS, address)], { env });
        if (!isTranscript(block.source)) {
          const result = await run(`set -e\n${block.source}`);
          expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
          return;
        }
        for (const step of transcript(block.source)) {
          const result = await run(step.command);
          const printed = `${result.stdout}\n${result.stderr}`.replaceAll(address, EXAMPLE_ADDRESS);
          const expectsError = /^ERROR:|"code": [1-9]/m.test(step.output);
          if (!expectsError) expect(result.code, `${step.command}\n${printed}`).toBe(0);
          const lines = new Set(printed.split("\n").map(normalize));
          const missing = step.output.split("\n").filter((l) => shown(l) && !lines.has(normalize(l)));
          expect(missing, `${step.command} printed:\n${printed}`).toEqual([]);
        }
      } finally {
        await server.close();
      }
    });
  }
});
