import { describe, expect, it } from "vitest";
import type { Backend, StoredRecord, WriteOp } from "../../src/backend/backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { BackupReader } from "../../src/store/backup-format.js";
import { backupPieces, restoreBackup } from "../../src/store/store-backup.js";

const meta = { codec: "raw", kind: "raw", model: "", contentType: "", createdAt: 1, updatedAt: 2 };
const put = (key: string, value: string): WriteOp => ({
  type: "put",
  key,
  record: { value: new TextEncoder().encode(value), meta },
});

async function filled(entries: Record<string, string>): Promise<Backend> {
  const backend = createMemoryBackend();
  await backend.write(Object.entries(entries).map(([k, v]) => put(k, v)));
  return backend;
}

async function contents(backend: Backend): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const [key, record] of backend.scan({})) out[key] = new TextDecoder().decode(record.value);
  return out;
}

async function backupBytes(backend: Backend): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of backupPieces(backend)) pieces.push(piece.data);
  return Buffer.concat(pieces);
}

/** The backup in pieces of `size` bytes, as a stream would bring it. */
async function* inPieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function refusal(target: Backend, bytes: Uint8Array): Promise<string> {
  const err = await restoreBackup(target, inPieces(bytes, 7)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAnykvError(err, "INVALID_ARGUMENT"), String(err)).toBe(true);
  return (err as Error).message;
}

describe("backup format and restore", () => {
  const source = {
    "d\u0000a": "alpha",
    "d\u0000b": "β".repeat(1000),
    "m\u0000model": "{}",
    "b1/00000000": "chunk",
  };

  it("round-trips every record, whatever the piece size, replacing what the target held", async () => {
    const bytes = await backupBytes(await filled(source));
    for (const size of [1, 5, 64, 1 << 20]) {
      const target = await filled({ "d\u0000a": "old", "d\u0000stale": "gone" });
      const result = await restoreBackup(target, inPieces(bytes, size));
      expect(result).toMatchObject({ records: 4, sizeBytes: bytes.length });
      expect(await contents(target)).toEqual(source);
    }
  });

  it("announces the snapshot's revision and about how many records follow, and counts them as it goes", async () => {
    const backend = await filled(source);
    const pieces = [];
    for await (const piece of backupPieces(backend)) pieces.push(piece);
    expect(pieces[0]?.info).toMatchObject({ records: 4 });
    expect(pieces[0]?.info?.revision).toBeGreaterThanOrEqual(1);
    expect(pieces.at(-1)?.records).toBe(4);
  });

  it("refuses a truncated, corrupt, extended or foreign backup, and changes nothing", async () => {
    const bytes = await backupBytes(await filled(source));
    const target = await filled({ "d\u0000keep": "me" });
    for (const cut of [0, 5, 12, 40, bytes.length - 41, bytes.length - 1])
      expect(await refusal(target, bytes.subarray(0, cut))).toMatch(/truncated|not an anykv backup/);
    for (const at of [20, 60, Math.floor(bytes.length / 2), bytes.length - 10]) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 0x40;
      expect(await refusal(target, flipped)).toMatch(/corrupt|does not match/);
    }
    expect(await refusal(target, Buffer.concat([bytes, Buffer.from("x")]))).toMatch(/after its trailer/);
    expect(await refusal(target, Buffer.from("PK\u0003\u0004 a zip file, say"))).toMatch(
      /not an anykv backup/,
    );
    expect(await contents(target)).toEqual({ "d\u0000keep": "me" });
  });

  it("checks the record count and hash in the trailer, not only each frame", async () => {
    const bytes = await backupBytes(await filled(source));
    const reader = new BackupReader();
    const records: Array<readonly [string, StoredRecord]> = [];
    for await (const piece of inPieces(bytes, 3)) records.push(...reader.push(piece));
    reader.finish();
    expect(records.map(([key]) => key)).toEqual(Object.keys(source).sort());
    expect(reader.records).toBe(4);
    expect(reader.header?.revision).toBeGreaterThanOrEqual(1);
  });
});
