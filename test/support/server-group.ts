import { type ServerProcess, spawnServer } from "./cli-process.js";
import { atFileEnd } from "./file-end.js";

/**
 * Several real `anykv serve` processes (the built CLI, each on a free port) started with the
 * same arguments — one shared backend, e.g. `["--backend", "redis://…"]` — that a test can
 * kill (-9 or politely) and restart one at a time. Backend-agnostic: what is shared is up to
 * the arguments.
 */
export interface ServerGroup {
  /** The running processes' base URLs, by index (a killed server keeps its last URL until restarted). */
  url(index: number): string;
  readonly size: number;
  /** Kills server `index` (SIGKILL by default: no shutdown at all) and waits for it to exit. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts server `index` again with the same arguments (on a new free port); resolves with its URL. */
  restart(index: number): Promise<string>;
  /** Everything server `index` printed. */
  output(index: number): string;
  /** Stops every running server (SIGTERM) and waits for them to exit. */
  stop(): Promise<void>;
}

/** Starts `count` servers with `args` (and `env`); they are stopped after the test file. */
export async function startServerGroup(
  count: number,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerGroup> {
  // One after another: starting them at once on a busy machine makes each slower than that.
  const servers: ServerProcess[] = [];
  for (let i = 0; i < count; i++) servers.push(await spawnServer(args, env));
  const alive = servers.map(() => true);
  const stopAll = async () => {
    await Promise.all(
      servers.map((s, i) => {
        if (!alive[i]) return undefined;
        alive[i] = false;
        return s.stop("SIGTERM");
      }),
    );
  };
  atFileEnd(stopAll);
  const at = (index: number) => {
    const server = servers[index];
    if (!server) throw new RangeError(`no server ${index} in a group of ${count}`);
    return server;
  };
  const group: ServerGroup = {
    size: count,
    url: (index) => at(index).url,
    output: (index) => at(index).output(),
    async kill(index, signal = "SIGKILL") {
      const server = at(index);
      if (!alive[index]) return;
      alive[index] = false;
      await server.stop(signal);
    },
    async restart(index) {
      if (alive[index]) await group.kill(index, "SIGTERM");
      const server = await spawnServer(args, env);
      servers[index] = server;
      alive[index] = true;
      return server.url;
    },
    stop: stopAll,
  };
  return group;
}
