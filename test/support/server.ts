import { join } from "node:path";
import { afterAll } from "vitest";
import { type RunningServer, type ServerHooks, startServer } from "../../src/server/server.js";
import type { ServerOptions } from "../../src/server/server-options.js";
import { captureLogs, type LogCapture } from "./log-capture.js";
import { tempDir } from "./temp-dir.js";

/** A test server, with what it logged (warnings and errors unless logLevel says otherwise). */
export interface TestServer extends RunningServer {
  readonly logs: LogCapture;
}

// Every server still open when the test file ends is closed then. One afterAll, registered as the
// file loads this module: vitest never runs an afterAll registered inside a test or a hook, where
// startTestServer is called. Registered after temp-dir.ts's (imported above), so it runs before
// the data directories are removed (vitest runs after-hooks last registered first).
const open = new Set<RunningServer>();
afterAll(() => Promise.all([...open].map((server) => server.close())));

/** The real server on a free port with LevelDB in a fresh directory, closed after the file. */
export async function startTestServer(
  options: Partial<ServerOptions> & ServerHooks = {},
): Promise<TestServer> {
  const logs = captureLogs(options.logLevel);
  const server = await startServer({
    port: 0,
    data: join(tempDir(), "data"),
    logger: logs.logger,
    // A call a test leaves open (a stream it stopped reading) would hold the file's end for the
    // default 10 s; tests of shutdown set their own.
    shutdownTimeoutMs: 1000,
    ...options,
  });
  open.add(server);
  return Object.assign(server, { logs });
}

/** A key no other test uses. */
export function uniqueKey(prefix = "k"): string {
  return `${prefix}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
