import { createHash, randomUUID } from "node:crypto";
import type { Backend, ChunkManifest, WriteOp } from "../backend/backend.js";
import { AnykvError } from "../errors.js";
import { chunkKey, systemRecord, UPLOADS, uploadKey } from "./system-keys.js";
import { UPLOAD_LEASE_MS, type UploadLease, uploadLeaseName } from "./upload-lease.js";

/** What writeChunks stored: a small value to keep inline, or the manifest of its chunks. */
export type WrittenValue =
  | { readonly inline: Uint8Array; readonly sha256: string }
  | { readonly manifest: ChunkManifest; readonly sha256: string };

const encoder = new TextEncoder();

/**
 * Stores the bytes of `source` as chunks of `chunkBytes` under a fresh upload
 * id, one backend write per chunk, pulling from the source only as fast as
 * chunks are written (so memory holds about one chunk). The first write also
 * stores an upload marker; the record that will point to the chunks removes
 * it in its own write (record-writes.ts), so a marker left behind always means
 * unreferenced chunks. The upload's lease is taken before the marker is
 * written and renewed until the caller releases it (after the commit), so a
 * clean-up never takes the chunks of an upload still in progress. A value that
 * fits one chunk is returned inline and nothing is written. On failure the
 * chunks written so far are removed.
 */
export async function writeChunks(
  backend: Backend,
  source: AsyncIterable<Uint8Array>,
  chunkBytes: number,
  owner: { namespace: string; key: string; startedAt: number },
  lease: UploadLease,
): Promise<WrittenValue> {
  const id = randomUUID().replaceAll("-", "");
  const hash = createHash("sha256");
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let count = 0;
  let size = 0;
  const flush = async (bytes: number) => {
    const chunk = take(bytes);
    const ops: WriteOp[] = [{ type: "put", key: chunkKey(id, count), record: systemRecord(chunk) }];
    if (count === 0) await lease.take(id);
    lease.check();
    if (count === 0) {
      const marker = encoder.encode(JSON.stringify(owner));
      ops.push({ type: "put", key: uploadKey(id), record: systemRecord(marker) });
    }
    await backend.write(ops);
    count++;
  };
  const take = (bytes: number): Uint8Array => {
    const out = new Uint8Array(bytes);
    let offset = 0;
    while (offset < bytes) {
      const part = pending[0]!;
      const n = Math.min(part.length, bytes - offset);
      out.set(part.subarray(0, n), offset);
      offset += n;
      if (n === part.length) pending.shift();
      else pending[0] = part.subarray(n);
    }
    pendingBytes -= bytes;
    return out;
  };
  try {
    for await (const part of source) {
      if (part.length === 0) continue;
      hash.update(part);
      size += part.length;
      pending.push(part);
      pendingBytes += part.length;
      // Strictly more than a chunk: a value of exactly one chunk stays inline.
      while (pendingBytes > chunkBytes) await flush(chunkBytes);
    }
    const sha256 = hash.digest("hex");
    if (count === 0) return { inline: take(pendingBytes), sha256 };
    if (pendingBytes > 0) await flush(pendingBytes);
    return { manifest: { id, count, chunkBytes, size, sha256 }, sha256 };
  } catch (err) {
    pending = [];
    if (count > 0) await discardUpload(backend, id).catch(() => undefined);
    throw err;
  }
}

/**
 * The bytes [offset, offset + length) of a chunked value, chunk by chunk. A
 * chunk that is gone means the value was replaced meanwhile: CONFLICT.
 */
export async function* readChunks(
  backend: Backend,
  manifest: ChunkManifest,
  offset = 0,
  length = manifest.size - offset,
  describe = "the value",
): AsyncGenerator<Uint8Array> {
  const end = Math.min(manifest.size, offset + length);
  for (let i = Math.floor(offset / manifest.chunkBytes); i < manifest.count; i++) {
    const start = i * manifest.chunkBytes;
    if (start >= end) return;
    const record = await backend.get(chunkKey(manifest.id, i));
    if (!record)
      throw new AnykvError(
        "CONFLICT",
        `${describe} was replaced or deleted while it was read; read it again`,
      );
    yield record.value.subarray(Math.max(0, offset - start), Math.min(record.value.length, end - start));
  }
}

/** Removes an upload's chunks (whatever number was written) and its marker. */
export async function discardUpload(backend: Backend, id: string): Promise<void> {
  const range = { gte: chunkKey(id, 0), lt: `b${id}0` };
  for (;;) {
    const keys: string[] = [];
    for await (const [key] of backend.scan({ ...range, limit: 256 })) keys.push(key);
    if (keys.length === 0) break;
    await backend.write(keys.map((key): WriteOp => ({ type: "del", key })));
  }
  await backend.write([{ type: "del", key: uploadKey(id) }]);
}

/**
 * Removes the chunks of uploads that will never commit: those whose upload
 * lease `cleaner` can take, because their uploader (on any server sharing the
 * backend) stopped renewing it, having crashed or stopped. Returns how many
 * uploads it removed.
 */
export async function cleanupUploads(backend: Backend, cleaner: string): Promise<number> {
  const markers: string[] = [];
  for await (const [key] of backend.scan(UPLOADS)) markers.push(key.slice(1));
  let removed = 0;
  for (const id of markers) {
    const name = uploadLeaseName(id);
    if (!(await backend.lease(name, cleaner, UPLOAD_LEASE_MS))) continue;
    try {
      await discardUpload(backend, id);
      removed++;
    } finally {
      await backend.releaseLease(name, cleaner);
    }
  }
  return removed;
}
