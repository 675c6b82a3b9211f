import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/anykv/v1/admin_pb.js";
import { type AnykvStore, createStore, createTransport, errorInfo } from "../../src/client/index.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { tempDir } from "../support/temp-dir.js";

/** What a refused write must be: FAILED_PRECONDITION, "the server is read-only", reason READ_ONLY. */
function expectReadOnly(err: unknown): void {
  expect(err).toBeInstanceOf(ConnectError);
  expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
  expect((err as ConnectError).rawMessage).toBe("the server is read-only");
  expect(errorInfo(err)?.reason).toBe("READ_ONLY");
}

async function refused(write: () => Promise<unknown>): Promise<void> {
  const outcome = await write().then(
    () => undefined,
    (err: unknown) => err,
  );
  expectReadOnly(outcome);
}

let server: RunningServer;
let store: AnykvStore;
const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);

beforeAll(async () => {
  // Data written by a writable server, then served read-only from the same directory.
  const data = join(tempDir(), "data");
  const writable = await startServer({ port: 0, data, chunkBytes: 1024 * 1024 });
  const setup = createStore({ baseUrl: writable.url });
  await setup.put("ro/text", "kept");
  await setup.put("ro/json", { n: 1 });
  await setup.upload("ro/big", [big]);
  await setup.models.registerJsonSchema("ro.Thing", { type: "object" });
  await writable.close();
  server = await startServer({ port: 0, data, readOnly: true });
  store = createStore({ baseUrl: server.url });
  return () => server.close();
});

describe("--readonly", () => {
  it("refuses every write RPC with FAILED_PRECONDITION, and changes nothing", async () => {
    const before = await store.info("ro/text");
    await refused(() => store.put("ro/text", "changed"));
    await refused(() => store.put("ro/new", "new"));
    await refused(() => store.delete("ro/text"));
    await refused(() => store.pop("ro/text"));
    await refused(() => store.touch("ro/text"));
    await refused(() => store.batch([{ type: "put", key: "ro/text", value: "batched" }]));
    await refused(() => store.deletePrefix("ro"));
    await refused(() => store.upload("ro/big", [new Uint8Array(2 * 1024 * 1024)]));
    await refused(() => store.models.registerJsonSchema("ro.Other", { type: "object" }));
    await refused(() => store.models.delete("ro.Thing"));
    // Restore is refused before it reads the stream; Backup, a read, works.
    const admin = createClient(AdminService, createTransport(server.url));
    const backup: Uint8Array[] = [];
    for await (const res of admin.backup({})) backup.push(res.data);
    await refused(() =>
      admin.restore(
        (async function* () {
          yield { data: Buffer.concat(backup) };
        })(),
      ),
    );
    // The bulk writes are refused whole, not item by item.
    await refused(() => store.putMany([{ key: "ro/text", value: "many" }]));
    await refused(() => store.deleteMany(["ro/json"]));

    // The stored values are what they were, revision included.
    expect(await store.get("ro/text")).toBe("kept");
    expect((await store.info("ro/text")).revision).toBe(before.revision);
    expect(await store.get("ro/json")).toEqual({ n: 1 });
    expect(await store.exists("ro/new")).toBe(false);
    const chunks: Uint8Array[] = [];
    for await (const chunk of store.download("ro/big")) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    expect((await store.models.list()).map((m) => m.name)).toContain("ro.Thing");
  });

  it("serves reads: get, listings, checksums and the anystore HTTP API's GET", async () => {
    const keys: string[] = [];
    for await (const key of store.keys({ prefix: "ro" })) keys.push(key);
    expect(keys).toEqual(["ro/big", "ro/json", "ro/text"]);
    expect(await store.checksum("ro/text")).toMatch(/^[0-9a-f]{64}$/);
    const got = await fetch(`${server.url}/anystore/ro/text`);
    expect(got.status).toBe(200);
  });

  it("refuses the anystore HTTP API's PUT, DELETE and PATCH (405, reason READ_ONLY)", async () => {
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const res = await fetch(`${server.url}/anystore/ro/text`, {
        method,
        ...(method === "PUT" ? { body: "over http" } : {}),
      });
      expect(res.status).toBe(405);
      expect(await res.json()).toEqual({ detail: "the server is read-only", reason: "READ_ONLY" });
    }
    expect(await store.get("ro/text")).toBe("kept");
  });
});
