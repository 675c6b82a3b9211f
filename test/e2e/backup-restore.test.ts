import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AdminService, type BackupInfo } from "../../gen/anykv/v1/admin_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import type { Backend, ScanRange, StoredRecord, WriteOp } from "../../src/backend/backend.js";
import { createStore, createTransport } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { recordKey } from "../../src/store/system-keys.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

const KEYS = 1_000_000;
const BIG = 100 * 1024 * 1024;

/** Writes a backup of `server` to `file` over AdminService.Backup; returns the first response's info. */
async function backupTo(server: RunningServer, file: string) {
  const admin = createClient(AdminService, createTransport(server.url));
  const out = createWriteStream(file);
  let info: BackupInfo | undefined;
  for await (const res of admin.backup({})) {
    info ??= res.info;
    if (!out.write(res.data)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return info;
}

/** Sends a file to AdminService.Restore. */
function restoreFrom(server: RunningServer, file: string | Uint8Array) {
  const admin = createClient(AdminService, createTransport(server.url));
  async function* pieces() {
    if (typeof file !== "string") yield { data: file };
    else
      for await (const data of createReadStream(file, { highWaterMark: 1024 * 1024 }))
        yield { data: data as Buffer };
  }
  return admin.restore(pieces());
}

/** A digest of every record a backend holds in `range`: key, value and metadata (but the revision, which a restore assigns anew). */
async function digest(backend: Backend, range: ScanRange = {}): Promise<{ records: number; sha256: string }> {
  const hash = createHash("sha256");
  let records = 0;
  for await (const [key, record] of backend.scan(range)) {
    hashRecord(hash, key, record);
    records++;
  }
  return { records, sha256: hash.digest("hex") };
}

function hashRecord(hash: Hash, key: string, { value, meta }: StoredRecord): void {
  const { revision: _, ...rest } = meta;
  hash.update(key).update("\u0000").update(value).update(JSON.stringify(rest));
}

/** 100 MiB that are not one byte repeated: a random MiB, each copy with its index in front. */
async function* bigValue(): AsyncGenerator<Uint8Array> {
  const mib = createHash("sha512").update("seed").digest();
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += mib.length) mib.copy(block, i);
  for (let i = 0; i < BIG / block.length; i++) {
    block.writeUInt32BE(i, 0);
    yield Buffer.from(block);
  }
}

describe("backup and restore (AdminService)", () => {
  it(`round-trips ${KEYS} keys, a 100 MiB chunked value and a model into another server`, async () => {
    const source = await startTestServer({ sync: "none" });
    // Setup straight through the backend, in big batches: the round trip is what is tested.
    const meta = {
      codec: "text",
      kind: "text",
      model: "",
      contentType: "text/plain",
      createdAt: 1,
      updatedAt: 1,
    };
    const generated = (i: number) =>
      [recordKey("", `k/${String(i).padStart(7, "0")}`), `value ${i}`] as const;
    for (let start = 0; start < KEYS; start += 20_000) {
      const ops: WriteOp[] = [];
      for (let i = start; i < start + 20_000; i++) {
        const [key, value] = generated(i);
        ops.push({ type: "put", key, record: { value: Buffer.from(value), meta } });
      }
      await source.store.backend.write(ops);
    }
    const uploaded = await source.store.upload("", "big", bigValue(), { contentType: "" });
    const client = createStore({ baseUrl: source.url });
    await client.put("ns-key", { a: [1, 2] });
    await client.models.registerJsonSchema("backup.Thing", { type: "object" });

    const file = join(tempDir(), "store.anykvbak");
    const info = await backupTo(source, file);
    expect(Number(info?.records)).toBeGreaterThan(KEYS + 100); // the keys, the chunks, the rest

    // The target runs on the memory backend, which keeps the check of a million records quick.
    const target = await startTestServer({ backend: "memory" });
    await createStore({ baseUrl: target.url }).put("only-on-target", "goes away");
    const result = await restoreFrom(target, file);

    // The target holds exactly the source's records: the generated keys as they were written
    // (checked one by one, without reading them back from the source), and everything else
    // (chunks, models, the JSON put, the expiry index) equal to the source's.
    const [first] = generated(0);
    const [last] = generated(KEYS - 1);
    const rest = createHash("sha256");
    let restCount = 0;
    let i = 0;
    for await (const [key, record] of target.store.backend.scan({})) {
      if (key >= first && key <= last) {
        const [wantKey, wantValue] = generated(i++);
        if (key !== wantKey || Buffer.from(record.value).toString() !== wantValue)
          expect([key, Buffer.from(record.value).toString()]).toEqual([wantKey, wantValue]);
        if (record.meta.codec !== "text" || record.meta.createdAt !== 1)
          expect(record.meta).toMatchObject(meta);
      } else {
        hashRecord(rest, key, record);
        restCount++;
      }
    }
    expect(i).toBe(KEYS);
    const sourceRest = createHash("sha256");
    let sourceRestCount = 0;
    for (const range of [{ lt: first }, { gte: `${last}\u0000` }]) {
      for await (const [key, record] of source.store.backend.scan(range)) {
        hashRecord(sourceRest, key, record);
        sourceRestCount++;
      }
    }
    expect(restCount).toBeGreaterThan(100); // 100 chunks at least
    expect({ records: restCount, sha256: rest.digest("hex") }).toEqual({
      records: sourceRestCount,
      sha256: sourceRest.digest("hex"),
    });
    expect(Number(result.records)).toBe(KEYS + restCount);

    const restored = createStore({ baseUrl: target.url });
    expect(await restored.get("k/0999999")).toBe("value 999999");
    expect(await restored.get("ns-key")).toEqual({ a: [1, 2] });
    expect(await restored.exists("only-on-target")).toBe(false);
    expect(await restored.checksum("big")).toBe(uploaded.sha256);
    expect((await restored.models.list()).map((m) => m.name)).toContain("backup.Thing");
  }, 300_000);

  it("refuses a truncated or corrupt backup with INVALID_ARGUMENT and changes nothing", async () => {
    const source = await startTestServer();
    const client = createStore({ baseUrl: source.url });
    for (let i = 0; i < 50; i++) await client.put(`s/${i}`, `v${i}`);
    const file = join(tempDir(), "small.anykvbak");
    await backupTo(source, file);
    const bytes = readFileSync(file);

    const target = await startTestServer();
    await createStore({ baseUrl: target.url }).put("kept", "as it was");
    const before = await digest(target.store.backend);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)]! ^= 1;
    for (const [bad, says] of [
      [bytes.subarray(0, bytes.length - 20), /truncated/],
      [bytes.subarray(0, bytes.length / 2), /truncated/],
      [flipped, /corrupt/],
    ] as const) {
      const err = await restoreFrom(target, bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage).toMatch(says);
      expect((err as ConnectError).rawMessage).toContain("nothing was restored");
    }
    expect(await digest(target.store.backend)).toEqual(before);

    // The whole backup restores, onto LevelDB, replacing what was there.
    await restoreFrom(target, bytes);
    expect(await digest(target.store.backend)).toEqual(await digest(source.store.backend));
    expect(await createStore({ baseUrl: target.url }).exists("kept")).toBe(false);
  });

  it("is listed by reflection and health like the other services", async () => {
    const server = await startTestServer({ backend: "memory" });
    const transport = createTransport(server.url);
    async function* listServices() {
      yield { host: "", messageRequest: { case: "listServices" as const, value: "*" } };
    }
    const names: string[] = [];
    for await (const res of createClient(ServerReflection, transport).serverReflectionInfo(listServices()))
      if (res.messageResponse.case === "listServicesResponse")
        names.push(...res.messageResponse.value.service.map((s) => s.name));
    expect(names).toContain("anykv.v1.AdminService");
    const health = await createClient(Health, transport).check({ service: "anykv.v1.AdminService" });
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
