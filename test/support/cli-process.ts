import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { atFileEnd } from "./file-end.js";

const MAIN = join(import.meta.dirname, "../../dist/src/cli/main.js");

// A server still running when the test file ends is killed then (a test that timed out never
// reached its own stop), or at the latest when the file's process exits.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) if (child.exitCode === null) child.kill("SIGKILL");
});

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `anykv serve` (the built CLI, or the `main` script given, e.g. an installed package's bin)
 * as its own process and waits for it to listen.
 */
export async function spawnServer(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  main = MAIN,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [main, "serve", "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  running.add(child);
  atFileEnd(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: a loaded machine (or --workers, which starts several processes) is slow to start.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 45_000);
    const check = () => {
      const match = /listening on (https?:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    stop(signal = "SIGTERM") {
      child.kill(signal);
      return exited;
    },
  };
}

/** What a finished CLI process printed: stdout and stderr apart, and both as they came. */
export interface CliResult {
  readonly code: number | null;
  readonly output: string;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's bytes, for binary output. */
  readonly stdoutBytes: Buffer;
}

/** Runs the CLI to completion, with `input` on its stdin (none: stdin is closed). */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  input?: string | Uint8Array,
): Promise<CliResult> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const stdout: Buffer[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout.push(chunk);
    out += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
    out += chunk.toString();
  });
  if (input !== undefined) child.stdin!.end(input);
  return new Promise((resolve) =>
    child.once("close", (code) =>
      resolve({
        code,
        output: out,
        stdout: Buffer.concat(stdout).toString(),
        stderr: err,
        stdoutBytes: Buffer.concat(stdout),
      }),
    ),
  );
}
