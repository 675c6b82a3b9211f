import type { Backend } from "../backend/backend.js";
import { discardUpload, writeChunks } from "./chunked-values.js";
import { commit, type Entry, type PutOptions, type WriteTarget } from "./store-write.js";
import { holdUploadLease, type UploadLease } from "./upload-lease.js";
import { checkCondition, hasCondition } from "./write-conditions.js";

export interface UploadOptions extends PutOptions {
  /** MIME type of the bytes; "" for application/octet-stream (left "" when `imported`). */
  readonly contentType: string;
  /**
   * Store the bytes without kind metadata (codec and kind empty), as imported data that auto
   * reads guess (the anystore API's PUT), instead of as raw bytes.
   * @default false
   */
  readonly imported?: boolean;
  /**
   * Called with the sha256 and size of what was received, before the value is
   * stored; a throw stores nothing (the client's end-to-end check).
   */
  readonly verify?: (received: { sha256: string; size: number }) => void;
}

export interface UploadResult {
  readonly entry: Entry;
  /** Lowercase hex sha256 of the stored bytes. */
  readonly sha256: string;
  readonly size: number;
}

/**
 * Uploads a value: its conditions are checked first (so a doomed upload fails
 * before its bytes are sent), the bytes are written as chunks under a fresh
 * upload id, then one atomic write stores the record that points to them,
 * checks the conditions again, and removes the chunks of the value it
 * replaces (record-writes.ts). A failure or an interrupted stream removes the
 * new chunks; a crash leaves them to the next start's cleanup. Either way the
 * previous value stays whole and the new one is never partly visible.
 */
export async function uploadValue(
  target: WriteTarget & { readonly namespace: string },
  backend: Backend,
  key: string,
  source: AsyncIterable<Uint8Array>,
  options: UploadOptions & { readonly chunkBytes: number; readonly holder: string },
): Promise<UploadResult> {
  if (hasCondition(options)) {
    const current = await target.get(key);
    const live = current && (current.meta.expiresAt === undefined || current.meta.expiresAt > target.now());
    checkCondition(target.namespace, key, options, live ? current.meta.revision : undefined);
  }
  const owner = { namespace: target.namespace, key, startedAt: target.now() };
  const lease = holdUploadLease(backend, options.holder);
  try {
    return await commitUpload(target, backend, key, source, options, owner, lease);
  } finally {
    await lease.release();
  }
}

async function commitUpload(
  target: WriteTarget & { readonly namespace: string },
  backend: Backend,
  key: string,
  source: AsyncIterable<Uint8Array>,
  options: UploadOptions & { readonly chunkBytes: number; readonly holder: string },
  owner: { namespace: string; key: string; startedAt: number },
  lease: UploadLease,
): Promise<UploadResult> {
  const written = await writeChunks(backend, source, options.chunkBytes, owner, lease);
  const size = "inline" in written ? written.inline.length : written.manifest.size;
  try {
    options.verify?.({ sha256: written.sha256, size });
    const kind = options.imported ? "" : "raw";
    const input = {
      value: "inline" in written ? written.inline : new Uint8Array(),
      codec: kind,
      kind,
      model: "",
      contentType: options.contentType || (options.imported ? "" : "application/octet-stream"),
      ...("manifest" in written ? { chunks: written.manifest } : {}),
    };
    const {
      contentType: _,
      verify: __,
      imported: ___,
      chunkBytes: ____,
      holder: _____,
      ...putOptions
    } = options;
    await lease.confirm();
    const { results } = await commit(target, [{ type: "put", key, input, ...putOptions }]);
    const result = results[0];
    if (result?.type !== "put") throw new Error("unreachable: an upload without its put");
    return { entry: result.entry, sha256: written.sha256, size };
  } catch (err) {
    if ("manifest" in written) await discardUpload(backend, written.manifest.id).catch(() => undefined);
    throw err;
  }
}
