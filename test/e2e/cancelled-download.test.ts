import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createStore, type Protocol } from "../../src/client/index.js";
import { LEVEL } from "../support/log-capture.js";
import { startTestServer, type TestServer, uniqueKey } from "../support/server.js";

// A client that walks away from a Download mid-stream is the client's choice, not a server bug:
// the server must not log it as an internal error (README: "Errors"): its access line is at debug.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ backend: "memory", logLevel: "debug" });
});
afterAll(() => server.close());

it.each(["grpc", "connect", "grpc-web"] satisfies Protocol[])(
  "a Download the client cancels is not logged as an internal error (%s)",
  async (protocol) => {
    const store = createStore({ baseUrl: server.url, transport: protocol });
    const key = uniqueKey("big");
    await store.upload(key, randomBytes(24 * 1024 * 1024));
    const abort = new AbortController();
    let chunks = 0;
    const outcome = (async () => {
      for await (const _ of store.download(key, { signal: abort.signal })) {
        if (++chunks === 1) abort.abort();
      }
    })().then(
      () => "ended",
      (err: unknown) => ConnectError.from(err).code,
    );
    expect(await outcome).toBe(Code.Canceled);
    await new Promise((r) => setTimeout(r, 300)); // the server notices the reset and ends the call
    expect(server.logs.errors()).toEqual([]);
    const downloads = server.logs.lines().filter((l) => l.method === "anykv.v1.StoreService/Download");
    expect(downloads.at(-1)).toMatchObject({ level: LEVEL.debug, code: "CANCELLED", msg: "call" });
  },
);
