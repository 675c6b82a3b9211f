import { join } from "node:path";
import { type RunningServer, type ServerHooks, startServer } from "../../src/server/server.js";
import type { ServerOptions } from "../../src/server/server-options.js";
import { atFileEnd } from "./file-end.js";
import { captureLogs, type LogCapture } from "./log-capture.js";
import { tempDir } from "./temp-dir.js";

/** A test server, with what it logged (warnings and errors unless logLevel says otherwise). */
export interface TestServer extends RunningServer {
  readonly logs: LogCapture;
}

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
  atFileEnd(() => server.close());
  return Object.assign(server, { logs });
}

/** A key no other test uses. */
export function uniqueKey(prefix = "k"): string {
  return `${prefix}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
