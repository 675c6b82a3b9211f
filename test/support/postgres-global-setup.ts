import type { TestProject } from "vitest/node";
import { startPostgres } from "./postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's PostgreSQL (each test opens its own schema on it): postgres://anykv@127.0.0.1:PORT/anykv. */
    postgresUrl: string;
  }
}

/**
 * Starts the PostgreSQL cluster the tests share (scripts/postgres-server.sh: Debian's
 * postgresql, initdb'd in a temp dir, on a free port) and removes it after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startPostgres();
  project.provide("postgresUrl", postgres.url);
  return async () => {
    await postgres.remove();
  };
}
