import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** A server process of the benchmark and its CPU time so far. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** Milliseconds of CPU time (user + system, all threads) the process has used, from /proc/PID/stat. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces; the fields after its ")" are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/**
 * Starts a server and waits until a line of its output matches `ready`; returns
 * the match. Its output is kept for the error message if it exits early.
 */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  ready: RegExp,
): Promise<{ server: ServerProcess; match: RegExpMatchArray }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        child.off("exit", onExit);
        resolve({ server: handle(name, child, output), match });
      }
    };
    const onExit = (code: number | null) => fail(new Error(`${name} exited with ${code}:\n${output}`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", onExit);
    child.on("error", fail);
  });
}

/** Output a server may print after it is ready that is kept for the error if it dies. */
const KEPT_OUTPUT = 4096;

function handle(name: string, child: ChildProcess, startOutput: string): ServerProcess {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  // Keep draining the pipes, so a chatty server never blocks on a full pipe, and keep the tail
  // of what it says: a server that dies mid-run is reported with it, not as a missing /proc file.
  let output = startOutput.slice(-KEPT_OUTPUT);
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEPT_OUTPUT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // BENCH_LOG_DIR: everything the server prints after it is ready, in DIR/NAME.log (its access
  // log; with BENCH_ANYKV_NODE_ARGS=--trace-gc-nvp also V8's line for each collection).
  const logDir = process.env.BENCH_LOG_DIR;
  if (logDir) {
    // `anykv@DIR` names a path: its slashes become underscores.
    const log = createWriteStream(join(logDir, `${name.replaceAll("/", "_")}.log`));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  return {
    name,
    pid,
    cpuMs: () => {
      try {
        if (child.exitCode === null && child.signalCode === null) return cpuMsOf(pid);
      } catch {
        // Gone before its exit was heard: /proc/PID is missing.
      }
      throw new Error(
        `${name} (pid ${pid}) exited during the benchmark (code ${child.exitCode}, signal ${child.signalCode}); ` +
          `its last output:\n${output}`,
      );
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** A free TCP port on 127.0.0.1 (for etcd, which needs its ports up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion; resolves with its stdout, rejects with its stderr on failure. */
export function run(command: string, args: readonly string[]): Promise<string> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}
