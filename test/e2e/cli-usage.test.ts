import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli as runInProcess } from "../../src/cli/program.js";
import type { RunningServer } from "../../src/server/server.js";
import { runCli } from "../support/cli-process.js";
import { startTestServer } from "../support/server.js";

const version = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")).version;

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ backend: "memory" });
});

/** The program in this process (usage errors and help fail before any call): its exit code and output. */
async function parse(args: readonly string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runInProcess(args, {
    writeOut: (text) => {
      stdout += text;
    },
    writeErr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

const COMMANDS = [
  ...["get", "put", "pop", "delete", "exists", "info", "touch", "checksum"],
  ...["keys", "values", "stream", "watch", "delete-prefix", "upload", "download"],
  ...["health", "models", "models register", "models list", "models get", "models delete"],
];

describe("anykv --help and --version", () => {
  it("a process prints help and the package's version on stdout with exit 0", async () => {
    const [help, printedVersion, getHelp, helpPut] = await Promise.all([
      runCli(["--help"]),
      runCli(["--version"]),
      runCli(["get", "--help"]),
      runCli(["help", "put"]),
    ]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toContain("Usage: anykv [options] [command]");
    for (const command of COMMANDS)
      expect(help.stdout).toMatch(new RegExp(`^  ${command.split(" ")[0]} `, "m"));
    expect(printedVersion).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
    expect(getHelp).toMatchObject({ code: 0, stderr: "" });
    expect(getHelp.stdout).toContain("Usage: anykv get [options] <KEY>");
    expect(getHelp.stdout).toContain("--trust-code");
    expect(helpPut).toMatchObject({ code: 0, stderr: "" });
    expect(helpPut.stdout).toContain("Usage: anykv put [options] <KEY> [VALUE]");
  });

  it.each(COMMANDS)("anykv %s --help", async (command) => {
    const run = await parse([...command.split(" "), "--help"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain(`Usage: anykv ${command}`);
    expect(run.stdout).toContain("--url <URL>"); // the global options, listed with each command
  });

  it("serve keeps its own help, with every flag of the server", async () => {
    const serve = await runCli(["serve", "--help"]);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toContain("--backend");
  });
});

describe("usage errors exit 2 and say what is wrong", () => {
  it.each([
    [["keys", "--limit", "abc"], "option '--limit <N>' argument 'abc' is invalid. Use a whole number."],
    [["keys", "--limit", "-1"], "Use a whole number"],
    [["get", "k", "--mode", "bogus"], "Allowed choices are auto, raw, json, pickle"],
    [["put", "k", "--file", "x", "--mode", "bogus"], "Allowed choices are auto, raw, json, pickle"],
    [["put", "k", "v", "--ttl", "soon"], "Use a number of seconds, or 500ms, 30s, 5m, 2h, 7d"],
    [["touch", "k", "--ttl", "5 parsecs"], "Use a number of seconds"],
    [["watch", "--start-revision", "1.5"], "Use a whole number of 1 or more"],
    [["delete", "k", "--if-revision", "x"], "Use a whole number of 1 or more"],
    [["checksum", "k", "--algorithm", "crc"], "Allowed choices are md5, sha1"],
    [["get", "k", "--url", "grpc://127.0.0.1:1"], "not grpc://. Write it as http://HOST:PORT"],
    [["get", "k", "--url", "50051"], "A port alone is not a URL. Write it as http://HOST:PORT"],
    [["get", "k", "--output", "yaml"], "Allowed choices are text, json"],
    [["put", "k"], "put takes one value: VALUE, --json JSON or --file FILE"],
    [["put", "k", "v", "--json", "1"], "put takes one value"],
    [["put", "k", "--json", "{oops"], "--json is not JSON"],
    [["put", "k", "v", "--content-type", "text/csv"], "--content-type goes with --file"],
    [["get"], "missing required argument 'KEY'"],
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["get", "k", "--frob"], "unknown option '--frob'"],
    [["models", "register", "schema.json"], "looks like a JSON Schema: give it a name with --name NAME"],
    [[], "Usage: anykv [options] [command]"],
  ])("anykv %j", async (args, message) => {
    const run = await parse(args);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(message);
  });

  it("a process exits 2 with the message and a pointer to --help on stderr", async () => {
    const run = await runCli(["keys", "--limit", "abc"], { ANYKV_URL: server.url });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "error: option '--limit <N>' argument 'abc' is invalid. Use a whole number.\n(add --help for usage)\n",
    );
  });

  it("a bad ANYKV_URL is a usage error too; a URL without a scheme gets http://", async () => {
    const hostPort = server.url.replace("http://", "");
    const [bad, bare] = await Promise.all([
      runCli(["keys"], { ANYKV_URL: "ftp://example.com" }),
      runCli(["put", "usage/bare", "x", "--url", hostPort]),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("from env 'ANYKV_URL' is invalid");
    expect(bare.stdout).toContain("stored usage/bare");
    expect((await runCli(["get", "usage/bare"], { ANYKV_URL: hostPort })).stdout).toBe("x\n");
  });

  it("an unreachable server says to run anykv serve, never npm start", async () => {
    const run = await runCli(["get", "k"], { ANYKV_URL: "http://127.0.0.1:1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is the server running at http://127.0.0.1:1? start one with `anykv serve`");
    expect(run.stderr).not.toContain("npm");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
