import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../support/tools.js";

const HERE = import.meta.dirname;
const ROOT = join(HERE, "../..");

/**
 * The Connect conformance suite (connectrpc.com/conformance, the version in
 * scripts/go-tools.txt) against anykv's serve(): gRPC (the fast path for unary
 * calls, connect-node for streams), gRPC-Web and Connect, in protobuf and JSON,
 * over HTTP/1.1 and h2c, identity, gzip and br. About 2,600 cases in ~30 s.
 */
describe("the Connect conformance suite", () => {
  it("passes against the server's own serving code, on every protocol", async () => {
    // The server under test runs as its own process, from compiled JavaScript.
    execFileSync("npx", ["tsc", "-p", join(HERE, "tsconfig.json"), "--noCheck"], {
      cwd: ROOT,
      stdio: "inherit",
    });
    const result = await run(
      "connectconformance",
      [
        "--conf",
        join(HERE, "config.yaml"),
        "--mode",
        "server",
        "--skip",
        `@${join(HERE, "skip.txt")}`,
        "--known-failing",
        `@${join(HERE, "known-failing.txt")}`,
        "--known-flaky",
        `@${join(HERE, "flaky.txt")}`,
        "--",
        process.execPath,
        join(ROOT, "dist/test/conformance/conformance-server.js"),
      ],
      { timeoutMs: 240_000 },
    );
    const summary = /Total cases: \d+\n.*/.exec(result.stdout + result.stderr)?.[0];
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(summary).toMatch(/, 0 failed/);
  }, 300_000);
});
