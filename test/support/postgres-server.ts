import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";

const SCRIPT = resolve(import.meta.dirname, "../../scripts/postgres-server.sh");
const exec = promisify(execFile);

/** A private PostgreSQL cluster (scripts/postgres-server.sh): its own temp directory and free port. */
export interface PostgresServer {
  /** postgres://anykv@127.0.0.1:PORT/anykv (trust auth, no password). */
  readonly url: string;
  readonly dir: string;
  /** Stops the cluster (fast shutdown: open connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and deletes its directory. */
  remove(): Promise<void>;
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * Starts a new cluster. `durable` keeps PostgreSQL's fsync on (benchmarks); tests leave it off.
 * Another process may take the free port between the probe and the start: then it tries again.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const env = { ...process.env, PG_FAST: options.durable ? "0" : "1" };
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let started: { stdout: string };
    try {
      started = await exec("bash", [SCRIPT, "start", String(port)], { env });
    } catch (err) {
      lastError = err;
      continue;
    }
    const [dir, url] = started.stdout.trim().split(" ") as [string, string];
    const stop = async () => {
      await exec("bash", [SCRIPT, "stop", dir], { env });
    };
    return {
      url,
      dir,
      stop,
      start: async () => {
        await exec("bash", [SCRIPT, "start", String(port), dir], { env });
      },
      remove: async () => {
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`could not start PostgreSQL (scripts/postgres-server.sh): ${String(lastError)}`);
}

/** The URL of the PostgreSQL the tests share (global-setup.ts starts it). */
export function testPostgresUrl(): string {
  return inject("postgresUrl");
}

/** A schema name no other test uses: each backend a test opens gets an empty data set. */
export function freshSchema(): string {
  return `t_${randomBytes(8).toString("hex")}`;
}
