import { join } from "node:path";
import { afterAll } from "vitest";
import { type RunningServer, startServer } from "../../src/server/server.js";
import type { ServerOptions } from "../../src/server/server-options.js";
import { tempDir } from "./temp-dir.js";

/** The real server on a free port with LevelDB in a fresh directory, closed after the file. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ port: 0, data: join(tempDir(), "data"), ...options });
  afterAll(() => server.close());
  return server;
}

/** A key no other test uses. */
export function uniqueKey(prefix = "k"): string {
  return `${prefix}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
