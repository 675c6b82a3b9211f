import cluster, { type Worker } from "node:cluster";
import { openBackend } from "../backend/open-backend.js";
import type { ServerOptions } from "../server/server-options.js";

/** A worker's report to the primary once its server listens. */
interface Listening {
  readonly anykvListening: string;
}

/** Whether this process is a worker of `anykv serve --workers N` (it then serves as one server). */
export const isServeWorker = (): boolean => cluster.isWorker;

/** Tells the primary that this worker listens at `url`. */
export function reportListening(url: string): void {
  console.log(`anykv worker ${process.pid} serving ${url}`);
  process.send?.({ anykvListening: url } satisfies Listening);
}

/**
 * Whether the backend the options name can be shared by several processes
 * (capabilities.shared), opened once and closed again before any worker starts: this also
 * says clearly, once, when the engine cannot be reached.
 */
async function probeBackend(o: ServerOptions): Promise<{ shared: boolean; description: string }> {
  const { backend, description } = await openBackend(o.backend, {
    data: o.data,
    sync: o.sync,
    cacheBytes: o.cacheBytes,
  });
  const shared = backend.capabilities.shared;
  await backend.close();
  return { shared, description };
}

/**
 * The primary of `anykv serve --workers N`: forks N workers (node:cluster) that each run the
 * whole server on the same port — the primary accepts connections and hands them out in turn —
 * over one shared backend, so one machine's cores all serve. It prints "anykv listening on URL"
 * once every worker listens, starts a new worker when one dies, and on SIGTERM/SIGINT stops
 * them all (each finishes its in-flight calls). A worker that fails before it ever listens
 * (the backend unreachable, a bad option) stops the whole server: forking again would fail
 * the same way.
 */
export async function servePrimary(options: ServerOptions): Promise<void> {
  const { workers } = options;
  const probe = await probeBackend(options);
  if (!probe.shared)
    throw new RangeError(
      `invalid configuration: --workers ${workers} needs a backend that several processes can share ` +
        `(redis://…, postgres://…); ${probe.description} belongs to one process. ` +
        "Use --workers 1, or a shared backend",
    );
  let stopping = false;
  const listening = new Map<Worker, string>();
  // The workers whose process has not exited. Not cluster.workers: node:cluster drops a worker
  // from it on whichever of "exit" and "disconnect" comes last, so at the last worker's "exit"
  // it may still be listed, and waiting for it to empty let the event loop drain (exit code 13).
  const alive = new Set<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    alive.add(worker);
    worker.on("message", (message: Partial<Listening>) => {
      if (typeof message.anykvListening !== "string") return;
      const first = listening.size < workers;
      listening.set(worker, message.anykvListening);
      if (first && listening.size === workers)
        console.log(
          `anykv listening on ${message.anykvListening} (gRPC, gRPC-Web, Connect); ${workers} workers; ` +
            `data: ${probe.description}`,
        );
    });
  };
  cluster.on("exit", (worker, code, signal) => {
    alive.delete(worker);
    const served = listening.delete(worker);
    if (stopping) {
      if (alive.size === 0) process.exit();
      return;
    }
    const how = signal ?? `code ${code}`;
    if (!served) {
      console.error(`anykv: worker ${worker.process.pid} exited (${how}) before it listened; stopping`);
      stop(1);
      return;
    }
    console.error(`anykv: worker ${worker.process.pid} exited (${how}); starting another`);
    fork();
  });
  const stop = (exitCode: number) => {
    stopping = true;
    process.exitCode = exitCode;
    if (alive.size === 0) process.exit();
    for (const worker of alive) worker.process.kill("SIGTERM");
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.once(signal, () => {
      console.log(`anykv: ${signal} received, stopping ${workers} workers`);
      stop(0);
    });
  for (let i = 0; i < workers; i++) fork();
}
