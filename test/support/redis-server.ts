import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const SCRIPT = resolve(import.meta.dirname, "../../scripts/redis-server.sh");
const exec = promisify(execFile);

/** A private redis-server (scripts/redis-server.sh) in its own temp directory on a free port. */
export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL); its port stays reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: the tests' instances keep nothing on disk). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/** Starts a redis-server of its own, installing Debian's redis-server first when it is missing. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "anykv-redis-"));
  const run = async (...args: string[]) => (await exec("bash", [SCRIPT, ...args])).stdout.trim();
  // This process owns it: the script stops it once this process is gone, even when killed.
  const owner = String(process.pid);
  const url = await run("start", dir, "", owner);
  const port = new URL(url).port;
  return {
    url,
    stop: async () => void (await run("stop", dir)),
    start: async () => void (await run("start", dir, port, owner)),
    async close() {
      await run("stop", dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
