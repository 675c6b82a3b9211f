/**
 * The backend contract: bytes and metadata in, bytes and metadata out.
 * A backend does nothing clever. The store owns keys, namespaces, TTL and
 * codecs; a backend owns durability, one atomic multi-key write with
 * conditions, the store-wide revision counter, and ordered scans.
 * Backends never import @connectrpc/connect; they throw AnykvError.
 */

/** Metadata kept next to every value. Times are milliseconds since the epoch (UTC). */
export interface RecordMeta {
  /** Codec that wrote the bytes ("raw", "text", "json", "pickle"); "" for imported bytes. */
  readonly codec: string;
  /** Kind of the value that was put; "" for imported bytes. */
  readonly kind: string;
  /** Model the value was validated against; "" for none. */
  readonly model: string;
  readonly contentType: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Absolute expiry; undefined for never. */
  readonly expiresAt?: number | undefined;
  /** Store-wide revision of the write that produced this record. Assigned by the backend. */
  readonly revision: number;
  /** Set when the value is stored in chunks (large values); the record's own value is then empty. */
  readonly chunks?: ChunkManifest | undefined;
}

/**
 * Where a value stored in chunks lives. The store writes the chunks as records
 * of their own and owns their keys; a backend keeps this metadata as it is.
 */
export interface ChunkManifest {
  /** The upload that wrote the chunks; their keys derive from it. */
  readonly id: string;
  /** Number of chunks. */
  readonly count: number;
  /** Size of every chunk but the last, in bytes. */
  readonly chunkBytes: number;
  /** Size of the whole value, in bytes. */
  readonly size: number;
  /** Lowercase hex sha256 of the whole value. */
  readonly sha256: string;
}

export interface StoredRecord {
  readonly value: Uint8Array;
  readonly meta: RecordMeta;
}

/** A record to write; the backend fills in the revision. */
export interface NewRecord {
  readonly value: Uint8Array;
  readonly meta: Omit<RecordMeta, "revision">;
}

export type WriteOp =
  | { readonly type: "put"; readonly key: string; readonly record: NewRecord }
  | { readonly type: "del"; readonly key: string };

/**
 * A precondition of a write: `revision` must be the key's current revision,
 * or `null` for "the key must not exist". Expired records still exist for
 * the backend; the store decides what expiry means.
 */
export interface Condition {
  readonly key: string;
  readonly revision: number | null;
}

/** The most keys in one page of Backend.scanKeys. */
export const KEY_PAGE = 1000;

/** A key range, like abstract-level's iterator options. Keys compare by Unicode code point. */
export interface ScanRange {
  readonly gte?: string;
  readonly lt?: string;
  readonly reverse?: boolean;
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** What a backend can do, so that the store and the tests branch on capabilities, not names. */
export interface BackendCapabilities {
  /** scan() returns keys in order. */
  readonly orderedScan: boolean;
  /** Data survives a close and reopen. */
  readonly persistent: boolean;
  /** Several anykv servers may share the backend at once. */
  readonly shared: boolean;
}

export interface Backend {
  readonly capabilities: BackendCapabilities;
  get(key: string): Promise<StoredRecord | undefined>;
  /** Several gets in one call, in order: one trip to storage for a batch of keys. */
  getMany(keys: readonly string[]): Promise<(StoredRecord | undefined)[]>;
  /**
   * Applies every op atomically, or none when a condition fails (CONFLICT,
   * naming the key). Returns the revision given to this write; every put in
   * it carries that revision.
   */
  write(ops: readonly WriteOp[], conditions?: readonly Condition[]): Promise<number>;
  /** Records in key order (reversed on request). Stops early when the signal aborts. */
  scan(range: ScanRange): AsyncIterable<readonly [string, StoredRecord]>;
  /**
   * The keys scan() would return, without their records, in pages (arrays of keys, in order;
   * never empty): key listings read no values and pay for one step per page, not per key.
   */
  scanKeys(range: ScanRange): AsyncIterable<readonly string[]>;
  /** Flushes and releases the backend; later calls fail with UNAVAILABLE. */
  close(): Promise<void>;
}
