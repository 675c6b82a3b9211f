import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The Python interpreters of the virtualenvs scripts/setup-test-tools.sh makes: `python3` has
 * test/python/requirements.txt (grpcio, pydantic, anystore[http] 1.2.7, …), `python3-putfs`
 * has requirements-putfs.txt (anystore 1.5.x with putfs). Tests never use a system Python.
 */
const PYTHONS: Readonly<Record<string, string>> = {
  python3: join(ROOT, ".tools/venv/bin/python"),
  "python3-putfs": join(ROOT, ".tools/venv-putfs/bin/python"),
};

/**
 * The path of a tool the tests run for real (grpcurl, grpc-health-probe, python3, curl):
 * .tools/bin first (where scripts/setup-test-tools.sh installs), then PATH; python3 and
 * python3-putfs are the project's virtualenvs' only. A missing tool fails the test with what
 * to run; it never skips it.
 */
export function tool(name: string): string {
  const python = PYTHONS[name];
  const dirs =
    python !== undefined
      ? [dirname(python)]
      : [join(ROOT, ".tools/bin"), ...(process.env.PATH ?? "").split(delimiter).filter(Boolean)];
  const file = python !== undefined ? "python" : name;
  for (const dir of dirs) {
    const candidate = join(dir, file);
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

/**
 * Environment for scripts the tests run (gen-python.sh, gen-test-models.sh): the venv's python3
 * first on PATH, and as PYTHON (which otherwise may name the interpreter the venvs were made from).
 */
export const venvEnv = {
  PATH: [dirname(PYTHONS.python3 ?? ""), process.env.PATH ?? ""].join(delimiter),
  PYTHON: PYTHONS.python3 ?? "python3",
};

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
        env: { ...process.env, ...venvEnv, ...options.env },
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
