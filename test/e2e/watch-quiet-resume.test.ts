import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import { spawnServer } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

// Issue #10's repro: watch `quiet`, see `quiet/a`, write 5 `busy/*` keys, restart the server.
// The client used to resume from quiet/a's revision + 1, which the new server no longer had
// (OUT_OF_RANGE). Now the change log is durable, the server compacts it by --watch-retention
// (here: 2 events, so quiet/a's successors are gone), and progress notifications move the
// client's resume point past the busy writes, so it resumes.
describe("a Watch on a quiet prefix across a server restart", () => {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`resumes after ${signal}, past compacted revisions, without OUT_OF_RANGE`, async () => {
      const data = join(tempDir(), "data");
      const args = ["--data", data, "--watch-retention", "2", "--watch-progress-interval", "200ms"];
      const first = await spawnServer(args);
      const port = new URL(first.url).port;
      const client = createStore({ baseUrl: first.url });
      const abort = new AbortController();
      const seen: string[] = [];
      let failure: unknown;
      const watching = (async () => {
        for await (const event of client.watch({ prefix: "quiet", retryDelayMs: 50, signal: abort.signal }))
          seen.push(`${event.type} ${event.key}`);
      })().catch((err: unknown) => {
        failure = err;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const a = await client.put("quiet/a", "a");
      await expect.poll(() => seen).toEqual(["put quiet/a"]);
      for (let i = 0; i < 5; i++) await client.put(`busy/${i}`, i);
      // The log is compacted past quiet/a's successor (the maintenance tick, every second): a
      // client that had not moved on would now get OUT_OF_RANGE.
      const resumeFromA = async () => {
        const stop = AbortSignal.timeout(500);
        const watch = client.watch({ prefix: "quiet", startRevision: a!.revision + 1n, signal: stop });
        try {
          for await (const _ of watch) break;
          return "ok";
        } catch (err) {
          return err instanceof ConnectError ? err.code : err;
        }
      };
      await expect.poll(resumeFromA, { timeout: 10_000 }).toBe(Code.OutOfRange);
      // Past the progress interval: the quiet watch has been told how far the log has gone.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await first.stop(signal);
      const second = await spawnServer([...args, "--port", port]);
      await client.put("quiet/b", "b");
      await expect.poll(() => seen, { timeout: 10_000 }).toEqual(["put quiet/a", "put quiet/b"]);
      expect(failure).toBeUndefined();
      abort.abort();
      await watching;
      expect(await second.stop("SIGTERM")).toBe(0);
    }, 60_000);
  }
});
