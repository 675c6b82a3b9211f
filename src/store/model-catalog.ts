import type { Backend, NewRecord, WriteOp } from "../backend/backend.js";
import { createPrefixedBackend } from "../backend/prefixed-backend.js";

/**
 * Where registered models persist: the backend's system key space "m\0"
 * (namespaces live under "d…\0", so no key of any namespace reaches it).
 * Files are kept as serialized FileDescriptorProtos, schemas as JSON text;
 * the catalog knows nothing of what they mean (src/codec/models/ does).
 */
export interface ModelCatalog {
  /** Everything stored: file name → FileDescriptorProto bytes, model name → JSON Schema text. */
  load(): Promise<{ files: Map<string, Uint8Array>; schemas: Map<string, string> }>;
  /** One atomic write of a registration or deletion; returns the catalog's new version. */
  write(change: CatalogChange): Promise<number>;
  /**
   * The catalog's version: the revision of its last change, by any server sharing the backend
   * (0 before the first). One read: servers compare it to know when to reload.
   */
  version(): Promise<number>;
}

export interface CatalogChange {
  readonly putFiles?: readonly (readonly [string, Uint8Array])[];
  readonly putSchemas?: readonly (readonly [string, string])[];
  readonly deleteFiles?: readonly string[];
  readonly deleteSchemas?: readonly string[];
}

export const MODEL_KEY_PREFIX = "m\u0000";
const FILE = "file:";
const SCHEMA = "schema:";
// Rewritten by every catalog change, in the same atomic write: its record's revision is the version.
const VERSION = "version";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createModelCatalog(backend: Backend, now: () => number = Date.now): ModelCatalog {
  const view = createPrefixedBackend(backend, MODEL_KEY_PREFIX);
  const record = (value: Uint8Array, codec: string, contentType: string): NewRecord => {
    const t = now();
    return { value, meta: { codec, kind: "", model: "", contentType, createdAt: t, updatedAt: t } };
  };
  const version = async () => (await view.get(VERSION))?.meta.revision ?? 0;
  return {
    version,
    async load() {
      const files = new Map<string, Uint8Array>();
      const schemas = new Map<string, string>();
      for await (const [key, stored] of view.scan({})) {
        if (key.startsWith(FILE)) files.set(key.slice(FILE.length), stored.value);
        else if (key.startsWith(SCHEMA)) schemas.set(key.slice(SCHEMA.length), decoder.decode(stored.value));
      }
      return { files, schemas };
    },
    async write(change) {
      const ops: WriteOp[] = [
        ...(change.putFiles ?? []).map(
          ([name, bytes]): WriteOp => ({
            type: "put",
            key: FILE + name,
            record: record(bytes, "raw", "application/x-protobuf"),
          }),
        ),
        ...(change.putSchemas ?? []).map(
          ([name, text]): WriteOp => ({
            type: "put",
            key: SCHEMA + name,
            record: record(encoder.encode(text), "json", "application/schema+json"),
          }),
        ),
        ...(change.deleteFiles ?? []).map((name): WriteOp => ({ type: "del", key: FILE + name })),
        ...(change.deleteSchemas ?? []).map((name): WriteOp => ({ type: "del", key: SCHEMA + name })),
      ];
      if (ops.length === 0) return version();
      ops.push({ type: "put", key: VERSION, record: record(new Uint8Array(), "", "") });
      return view.write(ops);
    },
  };
}
