import { type ChildProcess, fork } from "node:child_process";
import type { BenchReply, BenchRequest, MemoryReply } from "./bench-protocol.js";

/** A benchmark's handle on its server child process. */
export interface BenchServer {
  readonly url: string;
  fill(namespace: string, prefix: string, count: number, valueBytes: number): Promise<void>;
  memory(): Promise<MemoryReply>;
  /** The server's memory while it holds every key of the namespace in an array (a control). */
  buffered(namespace: string): Promise<MemoryReply>;
  /** Starts a CPU profile of the server; stopProfile writes it to `path`. */
  startProfile(): Promise<void>;
  stopProfile(path: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Forks bench-server.js (with --expose-gc, so memory samples count live objects) and waits until it
 * listens. BENCH_SERVER_NODE_ARGS adds Node flags to the server only, e.g.
 * `BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` to profile it (bench/README.md).
 */
export async function startBenchServer(): Promise<BenchServer> {
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const child = fork(new URL("./bench-server.js", import.meta.url), [], {
    execArgv: ["--expose-gc", ...extra],
  });
  const ready = await next(child, "ready");
  // One request at a time: each waits for the reply of its own type.
  let queue: Promise<unknown> = Promise.resolve();
  const ask = <T extends BenchReply["type"]>(request: BenchRequest, type: T) => {
    const run = queue.then(() => {
      const answer = next(child, type);
      child.send(request);
      return answer;
    });
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    url: ready.url,
    fill: async (namespace, prefix, count, valueBytes) => {
      await ask({ type: "fill", namespace, prefix, count, valueBytes }, "filled");
    },
    memory: () => ask({ type: "memory" }, "memory"),
    buffered: (namespace) => ask({ type: "buffered", namespace }, "memory"),
    startProfile: async () => {
      await ask({ type: "profile-start" }, "profiled");
    },
    stopProfile: async (path) => {
      await ask({ type: "profile-stop", path }, "profiled");
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send({ type: "stop" } satisfies BenchRequest);
      }),
  };
}

function next<T extends BenchReply["type"]>(
  child: ChildProcess,
  type: T,
): Promise<Extract<BenchReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (raw: unknown) => {
      const message = raw as BenchReply;
      if (message.type === "error") {
        cleanup();
        reject(new Error(`bench server: ${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<BenchReply, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`bench server exited with ${code}`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Samples the server's memory every 250 ms while `run` runs; the samples are in order, so a
 * caller can also look at a phase (the first N samples).
 */
export async function sampleMemory<T>(
  server: BenchServer,
  run: () => Promise<T>,
): Promise<{ result: T; samples: MemoryReply[] }> {
  const samples: MemoryReply[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await server.memory());
      await sleep(250);
    }
  })();
  try {
    return { result: await run(), samples };
  } finally {
    sampling = false;
    await sampler;
  }
}
