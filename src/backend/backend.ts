/**
 * The backend contract: bytes and metadata in, bytes and metadata out.
 *
 * The backend owns correctness; the store owns meaning (docs/architecture.md, DESIGN.md
 * "Backends"). A backend guarantees, by itself and across every anykv process that shares it:
 * atomic multi-key writes whose conditions it enforces, one global revision, a durable change
 * log written in the same atomic write as the records (with a compaction point every process
 * shares), and named leases with a holder and an expiry. The store owns keys, namespaces, TTL
 * rules, codecs' metadata and what the change log's bytes mean. Backends never import
 * @connectrpc/connect; they throw AnykvError (UNAVAILABLE while the engine cannot be reached,
 * reconnecting by themselves; CONFLICT for a failed condition; COMPACTED for a change log read
 * older than the compaction point).
 *
 * Implementing a backend: the conformance suite in test/backend/backend-suite.ts is the
 * executable form of this file; add a factory to test/support/backends.ts and every case runs
 * on it (test/backend/README.md).
 */
import { AnykvError } from "../errors.js";

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
  /**
   * Instead of `revision`: the key's latest write must be this queued put (see WriteTicket).
   * It holds once that write is committed, or accepted ahead of this one in the same group,
   * and nothing has written the key since; never when it was refused or failed. Only the
   * backend that handed the ticket out is given it.
   */
  readonly after?: WriteTicket | undefined;
}

/**
 * A write that a backend has queued and not yet committed, as Backend.write's `queued` hands it
 * over. A later write of the same keys in this process may be built on it at once, and name it
 * in its condition (`Condition.after`), instead of waiting for it to commit: so writes of one
 * hot key share a group commit.
 */
export interface WriteTicket {
  /** Its revision once its group accepted it; undefined before, and after a refusal or a failure. */
  readonly revision: number | undefined;
}

/**
 * Lease names under this prefix come in numbers (the store's upload leases: one per upload in
 * progress) and live briefly; every other lease is one of a few held for long (the maintenance
 * lease). A backend may keep the two kinds apart: PostgreSQL holds each of the few as an
 * advisory lock on a connection of its own, and the many as rows, so that they cost no
 * connection each.
 */
export const UPLOAD_LEASE_PREFIX = "anykv:upload:";

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
  /** Several anykv processes may share the backend at once (redis, postgres). */
  readonly shared: boolean;
  /** write() appends to a durable change log that changes() tails (every backend here: true). */
  readonly changeFeed: boolean;
  /**
   * The engine expires records itself. False for every backend here: a sweeper holding a lease
   * expires them, so that each expiry has exactly one event in the change log.
   */
  readonly nativeTtl: boolean;
  /** snapshot() reads a consistent point in time (leveldb, memory, postgres; not redis). */
  readonly snapshots: boolean;
}

/** One committed write in the change log: the opaque bytes the store encoded (its events), under the write's revision. */
export interface ChangeEntry {
  readonly revision: number;
  readonly change: Uint8Array;
}

/**
 * A page of the change log: entries in revision order (maybe none), and the revision the page
 * reaches. `revision` is a promise: every entry with a revision at or below it has been yielded
 * (on this page or an earlier one), and no write committed later gets a revision at or below
 * it. A backend whose commits become visible out of revision order (a SQL sequence) holds the
 * page back to the last revision below which nothing is still in flight.
 */
export interface ChangePage {
  readonly entries: readonly ChangeEntry[];
  readonly revision: number;
}

/** How to read the change log (Backend.changes). */
export interface ChangesOptions {
  /**
   * After reaching the current revision, keep waiting for new commits (from any process) until
   * the signal aborts or the backend closes (UNAVAILABLE).
   * @default false
   */
  readonly follow?: boolean;
  /**
   * While following, the longest time between two pages: a quiet log still yields a page (no
   * entries) whose revision says how far it has been read.
   * @default 1000
   */
  readonly progressMs?: number;
  /** Ends the read (the iteration returns; it does not throw). */
  readonly signal?: AbortSignal;
}

/** A consistent, read-only point in time of the whole backend (capabilities.snapshots). */
export interface BackendSnapshot {
  /** The revision of the last write the snapshot holds. */
  readonly revision: number;
  /** Records in key order, as Backend.scan, as of the snapshot. */
  scan(range: ScanRange): AsyncIterable<readonly [string, StoredRecord]>;
  /** Releases the snapshot (engines pin old data while it is open). */
  close(): Promise<void>;
}

/**
 * A storage engine as the store sees it. Names refined from TEAM.md's draft: ChangesOptions is
 * the options type of changes(); the meaning of every method is the draft's.
 */
export interface Backend {
  readonly capabilities: BackendCapabilities;
  get(key: string): Promise<StoredRecord | undefined>;
  /** Several gets in one call, in order: one trip to storage for a batch of keys. */
  getMany(keys: readonly string[]): Promise<(StoredRecord | undefined)[]>;
  /**
   * Applies every op atomically, or none when a condition fails (CONFLICT, naming the key).
   * Returns the revision given to this write: global across every process sharing the
   * backend and strictly increasing in commit order; every put in it carries that revision
   * (RecordMeta.revision). When `change` is given, it is appended to the change log under
   * that revision in the same atomic write (an empty `ops` with a `change` is a valid write);
   * a write without one leaves no log entry. An empty write without a change still gets a
   * new revision. A backend that queues writes in this process (group commit) calls `queued`
   * with the write's ticket as soon as it is queued; the others never call it.
   */
  write(
    ops: readonly WriteOp[],
    conditions?: readonly Condition[],
    change?: Uint8Array,
    queued?: (ticket: WriteTicket) => void,
  ): Promise<number>;
  /** The latest committed revision (0 when nothing was ever written); one cheap read. */
  revision(): Promise<number>;
  /**
   * The change log after `after` (entries with revision > after), in pages in revision order;
   * the first page comes at once, even when it has no entries. Without `follow` the read ends
   * at the current revision (the last page's revision is at least the revision() when the
   * call started). With `follow` it then waits for new commits, from any process, and yields
   * each as it lands (one in-process wake-up or a notification, not polling, where the engine
   * allows), and a page at least every `progressMs` whose revision says how far the log has
   * been read, until the signal aborts (the iteration returns) or the backend closes
   * (UNAVAILABLE). Throws COMPACTED (metadata.oldestRevision: the compaction point + 1) when
   * `after` is below the compaction point, or when compaction passes the read's position
   * while it runs.
   */
  changes(after: number, options?: ChangesOptions): AsyncIterable<ChangePage>;
  /**
   * Drops the log entries with revision <= upTo (clamped to the current revision). The
   * compaction point is persisted and shared by every process, and never moves back: a
   * compact below it does nothing.
   */
  compact(upTo: number): Promise<void>;
  /** The compaction point: changes(after) with after below it is COMPACTED (0 when never compacted). */
  compacted(): Promise<number>;
  /**
   * Takes or renews the lease `name` for `holder` for `ttlMs` from now; true when `holder`
   * has it, false while another holder's lease has not expired. Every process sharing the
   * backend sees the same leases (a backend only one process opens may keep them in memory).
   */
  lease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once (a no-op unless `holder` has it). */
  releaseLease(name: string, holder: string): Promise<void>;
  /** A consistent read of everything (capabilities.snapshots); absent when unsupported. */
  snapshot?(): Promise<BackendSnapshot>;
  /** Records in key order (reversed on request). Stops early when the signal aborts. */
  scan(range: ScanRange): AsyncIterable<readonly [string, StoredRecord]>;
  /**
   * The keys scan() would return, without their records, in pages (arrays of keys, in order;
   * never empty): key listings read no values and pay for one step per page, not per key.
   */
  scanKeys(range: ScanRange): AsyncIterable<readonly string[]>;
  /** Flushes and releases the backend; later calls fail with UNAVAILABLE, and follows end so. */
  close(): Promise<void>;
}

/** COMPACTED for a change log read from `after`, whose oldest available revision is `compacted + 1`. */
export function compactedError(after: number, compacted: number): AnykvError {
  return new AnykvError(
    "COMPACTED",
    `revision ${after + 1} is older than the change log's compaction point; the oldest revision available is ${compacted + 1}`,
    { metadata: { oldestRevision: String(compacted + 1) } },
  );
}
