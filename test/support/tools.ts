import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The path of a tool the tests run for real (grpcurl, grpc-health-probe, python3, curl):
 * .tools/bin first (where scripts/setup-test-tools.sh installs), then PATH. A missing
 * tool fails the test with what to run; it never skips it.
 */
export function tool(name: string): string {
  const dirs = [join(ROOT, ".tools/bin"), ...(process.env.PATH ?? "").split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  throw new Error(
    `${name} is not installed: run "bash scripts/setup-test-tools.sh" (it installs the tools of ` +
      `scripts/go-tools.txt into .tools/bin and the packages of test/python/requirements.txt)`,
  );
}

/** What a finished process said. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool to completion and returns its exit code and output; never rejects on a non-zero exit. */
export function run(
  name: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  const file = tool(name);
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      file,
      [...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`${name} ${args.join(" ")} failed to run: ${err.message}\n${stderr}`));
          return;
        }
        resolvePromise({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** The repository root, for scripts and files the tests use. */
export const repoRoot = ROOT;
