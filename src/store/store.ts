import { randomUUID } from "node:crypto";
import type { Backend, Condition, StoredRecord } from "../backend/backend.js";
import { createPrefixedBackend } from "../backend/prefixed-backend.js";
import { AnykvError, isAnykvError } from "../errors.js";
import { type Periodic, runPeriodically, warningReports } from "./background-tasks.js";
import { encodeChange } from "./change-encoding.js";
import { cleanupUploads, readChunks } from "./chunked-values.js";
import { type CallOptions, RETRY, retryOnConflict } from "./conflict-retry.js";
import { type SweepTarget, sweepByIndex, sweepByScan } from "./expiry-sweep.js";
import { type KeyListingSource, keyPages } from "./key-listing.js";
import { createKeyTurns } from "./key-turns.js";
import { checkNamespace, normalizeKey, normalizePrefix } from "./keys.js";
import { type ListFilter, type ListOptions, planListing } from "./listing.js";
import { createLogCompactor, type LogCompactor } from "./log-compaction.js";
import { type RecordWrite, recordOps } from "./record-writes.js";
import { deleteEntries, writeEach } from "./store-batch.js";
import { resolveStoreOptions, type StoreOptions } from "./store-options.js";
import { type UploadOptions, type UploadResult, uploadValue } from "./store-upload.js";
import {
  checkTtl,
  checkUniqueKeys,
  commit,
  type Entry,
  isLive,
  type OpResult,
  type PutInput,
  type PutOptions,
  type RecordOp,
  type StoreOp,
  toEntry,
  type WriteMoment,
  type WriteResult,
  type WriteTarget,
} from "./store-write.js";
import { recordKey } from "./system-keys.js";
import { type RevisionEvents, WatchHub, type WatchHubStats } from "./watch-hub.js";
import { checkConditionShape, type WriteCondition } from "./write-conditions.js";

export type { ListFilter, ListOptions } from "./listing.js";
export type { UploadOptions, UploadResult } from "./store-upload.js";
export type { Entry, OpResult, PutInput, PutOptions, StoreOp, WriteResult } from "./store-write.js";
export { entrySize, MAX_EXPIRY_MS } from "./store-write.js";
export type { ChangeEvent, RevisionEvents, WatchHubStats } from "./watch-hub.js";
export type { WriteCondition } from "./write-conditions.js";

/** What a delete did. */
export interface DeleteResult {
  /** False when there was nothing to delete (not an error). */
  readonly deleted: boolean;
  /** The revision of the delete; 0 when nothing was deleted. */
  readonly revision: number;
}

/** Why a write touched the backend; the hook for change events (watch) and the expiry index. */
export type WriteCause = "write" | "expire";

/** The lease of the one process (of those sharing the backend) that sweeps and compacts. */
const MAINTENANCE_LEASE = "anykv:maintenance";
// Upload clean-up runs at the first maintenance tick, then every this many ticks.
const UPLOAD_CLEANUP_TICKS = 60;

export type { CallOptions } from "./conflict-retry.js";

// Namespace n's keys live under "d" + n + NUL: namespaces may not contain NUL, so
// no namespace's keys run into another's. The other key spaces: system-keys.ts.
const namespacePrefix = (namespace: string) => `d${namespace}\u0000`;

/** What a watch selects. */
export interface WatchOptions {
  /** Path-segment prefix, as in listings; "" for every key. */
  readonly prefix?: string;
  /** First revision to report; 0 (default) for changes from now on. */
  readonly startRevision?: number;
  readonly signal?: AbortSignal;
}

/**
 * The store: key rules, namespaces, TTL, revisions and conditions over a
 * Backend. It knows nothing of codecs or the wire; values are bytes plus
 * metadata. Every backend write goes through writeRecords.
 */
export class Store {
  readonly options: StoreOptions;
  private readonly views = new Map<string, Backend>();
  private sweeper: Periodic | undefined;
  private readonly hub: WatchHub;
  private readonly compactor: LogCompactor;
  /** Who this store is in the backend's leases (one per store, so per server process). */
  readonly holder = randomUUID();
  private ticks = 0;
  private readonly turns = createKeyTurns();

  constructor(
    readonly backend: Backend,
    options: Partial<StoreOptions> = {},
  ) {
    this.options = resolveStoreOptions(options);
    // Watch tails the backend's change log (watch-hub.ts); its progress timing is real time.
    this.hub = new WatchHub(backend, {
      watcherBytes: this.options.watchBufferBytes,
      progressMs: this.options.watchProgressMs,
      reports: this.options.reports ?? warningReports,
    });
    this.compactor = createLogCompactor(
      backend,
      {
        events: this.options.watchRetentionEvents,
        ageMs: this.options.watchRetentionMs,
        bytes: this.options.watchRetentionBytes,
      },
      this.options.now,
    );
    // The maintenance tick (the first one also removes the chunks of uploads whose uploader is
    // gone), retried with backoff after a failure, reported through `reports`.
    if (this.options.sweepIntervalMs > 0)
      this.sweeper = runPeriodically(
        this.options.sweepIntervalMs,
        [() => this.maintain(true), () => this.maintain(false)],
        ["recovery", "expiry sweep"],
        this.options.reports ?? warningReports,
      );
  }

  /**
   * One tick of background work, done by the one process holding the maintenance lease (the
   * others only try to take it): the chunks of uploads whose uploader is gone (at the first
   * tick it holds the lease, and every so often), the expiry sweep (each expiry one event), and
   * the change log's compaction by the retention options. Resolves to the keys it expired.
   */
  private async maintain(first: boolean): Promise<number> {
    const leaseMs = Math.max(5 * this.options.sweepIntervalMs, 5000);
    if (!(await this.backend.lease(MAINTENANCE_LEASE, this.holder, leaseMs))) {
      this.compactor.reset(); // another process compacts: start over when this one takes over
      this.ticks = 0;
      return 0;
    }
    const expired =
      first || this.ticks++ % UPLOAD_CLEANUP_TICKS === 0 ? await this.recover() : await this.sweepExpired();
    await this.compactLog();
    return expired;
  }

  /** Checks and normalizes a key; INVALID_KEY when it breaks the rules. */
  key(key: string): string {
    return normalizeKey(key, this.options.maxKeyBytes);
  }

  async get(namespace: string, key: string): Promise<Entry | undefined> {
    const k = this.key(key);
    const record = await this.view(namespace).get(k);
    return record && this.live(record) ? toEntry(namespace, k, record) : undefined;
  }

  /** Stores a value; with a condition (if_revision / if_absent), CONFLICT and nothing changes when it fails. */
  async put(
    namespace: string,
    key: string,
    input: PutInput,
    options: PutOptions = {},
    call?: CallOptions,
  ): Promise<Entry> {
    const [result] = (await this.write(namespace, [{ type: "put", key, input, ...options }], call)).results;
    if (result?.type !== "put") throw new Error("unreachable: a put without its result");
    return result.entry;
  }

  /** Deletes a key; deleting nothing is not an error. A failed condition is CONFLICT. */
  async delete(
    namespace: string,
    key: string,
    condition: WriteCondition = {},
    call?: CallOptions,
  ): Promise<DeleteResult> {
    const [result] = (await this.write(namespace, [{ type: "del", key, ...condition }], call)).results;
    if (result?.type !== "del") throw new Error("unreachable: a delete without its result");
    return { deleted: result.deleted, revision: result.revision };
  }

  /**
   * Applies ops atomically under one revision, conditions included: all or
   * nothing. Each key may appear once (INVALID_ARGUMENT otherwise).
   */
  async write(namespace: string, ops: readonly StoreOp[], call?: CallOptions): Promise<WriteResult> {
    const normalized = ops.map((op) => this.checkOp(op));
    checkUniqueKeys(normalized);
    return commit(this.target(namespace, call), normalized);
  }

  /**
   * Applies ops in order, each on its own (PutMany, DeleteMany): an op that
   * fails yields its error and the others go on. See writeEach.
   */
  writeEach(
    namespace: string,
    ops: readonly StoreOp[],
    call?: CallOptions,
  ): Promise<Array<OpResult | AnykvError>> {
    return writeEach(this.target(namespace, call), ops, (op) => this.checkOp(op));
  }

  /**
   * Reads and deletes a key atomically: of two concurrent pops, one gets the
   * value. `inspect` runs on the entry before the delete commits; when it
   * throws, nothing is deleted (a pop whose answer cannot be decoded keeps the value).
   */
  async pop(
    namespace: string,
    key: string,
    inspect?: (entry: Entry) => void | Promise<void>,
    call?: CallOptions,
  ): Promise<Entry | undefined> {
    const k = this.key(key);
    const view = this.view(namespace);
    return retryOnConflict(
      `pop of key "${k}"`,
      async () => {
        const record = await view.get(k);
        if (!record) return undefined;
        const live = this.live(record);
        if (live) await inspect?.(toEntry(namespace, k, record));
        try {
          await this.writeRecords(
            namespace,
            [{ type: "del", key: k, previous: record }],
            [{ key: k, revision: record.meta.revision }],
          );
        } catch (err) {
          if (isAnykvError(err, "CONFLICT")) return RETRY;
          throw err;
        }
        // An expired record is removed as a side effect, but it was not there for the caller.
        return live ? toEntry(namespace, k, record) : undefined;
      },
      call,
    );
  }

  async exists(namespace: string, key: string): Promise<boolean> {
    return (await this.get(namespace, key)) !== undefined;
  }

  /** Streams the live keys of a namespace in key order. */
  async *keys(namespace: string, options: ListOptions = {}): AsyncGenerator<string> {
    for await (const page of this.keyPages(namespace, options)) yield* page;
  }

  /** The live keys of a listing in pages (arrays in key order), reading no records (key-listing.ts). */
  keyPages(namespace: string, options: ListOptions = {}): AsyncGenerator<string[]> {
    const source: KeyListingSource = {
      namespace,
      view: this.view(namespace),
      backend: this.backend,
      now: this.options.now(),
      maxKeyBytes: this.options.maxKeyBytes,
      entries: (o) => this.entries(namespace, o),
    };
    return keyPages(source, options);
  }

  /**
   * Streams live entries in key order (or reversed), with the listing filters
   * applied. It pulls from the backend iterator as the caller reads, so memory
   * stays flat however many keys there are.
   */
  async *entries(namespace: string, options: ListOptions = {}): AsyncGenerator<Entry> {
    const { ranges, matches } = planListing(options, this.options.maxKeyBytes);
    const limit = options.limit || Number.POSITIVE_INFINITY;
    const view = this.view(namespace);
    const signal = options.signal ? { signal: options.signal } : {};
    let count = 0;
    for (const range of ranges) {
      for await (const [key, record] of view.scan({ ...range, ...signal })) {
        if (count >= limit) return;
        if (!this.live(record) || !matches(key)) continue;
        count++;
        yield toEntry(namespace, key, record);
      }
    }
  }

  /**
   * The stored bytes of an entry, chunk by chunk: `offset` and `length` select
   * a range. A value stored in chunks is read one chunk at a time (CONFLICT
   * when it is replaced meanwhile); Stream, Download and Checksum read
   * through here.
   */
  async *chunks(entry: Entry, offset = 0, length = Number.POSITIVE_INFINITY): AsyncGenerator<Uint8Array> {
    const manifest = entry.meta.chunks;
    const describe = `the value of key "${entry.key}"`;
    if (manifest) yield* readChunks(this.backend, manifest, offset, length, describe);
    else if (offset < entry.value.length) yield entry.value.subarray(offset, offset + length);
  }

  /**
   * Stores a value of any size from a stream of bytes, visible at once when
   * the stream ends and never before (see store-upload.ts).
   */
  upload(
    namespace: string,
    key: string,
    source: AsyncIterable<Uint8Array>,
    options: UploadOptions,
  ): Promise<UploadResult> {
    const k = this.key(key);
    checkConditionShape(options);
    checkTtl(options.ttlMs, this.options.now());
    return uploadValue(this.target(namespace), this.backend, k, source, {
      ...options,
      chunkBytes: this.options.chunkBytes,
      holder: this.holder,
    });
  }

  /**
   * The changes under a prefix, one group per revision, from `startRevision`
   * (COMPACTED when it is older than the change log's compaction point), and
   * progress notifications while the prefix is quiet. The first group has no
   * events and the store's revision. Reads the backend's change log, so it
   * sees the writes of every server sharing the backend (capabilities.changeFeed).
   */
  async *watch(namespace: string, options: WatchOptions = {}): AsyncGenerator<RevisionEvents> {
    checkNamespace(namespace);
    if (!this.backend.capabilities.changeFeed)
      throw new AnykvError("UNIMPLEMENTED", "watch needs a backend with a change feed");
    const prefix = normalizePrefix(options.prefix ?? "", this.options.maxKeyBytes);
    yield* this.hub.watch(options.startRevision ?? 0, namespace, prefix, options.signal);
  }

  /** What the watch fan-out did (live watchers, deliveries, index lookups, overflows). */
  get watchStats(): Readonly<WatchHubStats> {
    return this.hub.stats;
  }

  /** Ends every open watch with UNAVAILABLE (the server is stopping). */
  stopWatches(): void {
    this.hub.close();
  }

  /**
   * Removes the live keys a listing with `filter` would return, in atomic
   * chunks (not one snapshot: keys written meanwhile may stay). Returns how
   * many it removed.
   */
  deletePrefix(namespace: string, filter: ListFilter, signal?: AbortSignal): Promise<number> {
    return deleteEntries(
      this.target(namespace),
      this.entries(namespace, { ...filter, ...(signal ? { signal } : {}) }),
    );
  }

  /**
   * Removes expired keys, emitting expire events; a key rewritten meanwhile is
   * left alone (the delete is conditional). It reads only the due entries of
   * the expiry index; `scan: true` scans every record instead (records from
   * before the index, and the benchmark's baseline).
   */
  sweepExpired(options: { scan?: boolean } = {}): Promise<number> {
    const target: SweepTarget = {
      backend: this.backend,
      now: this.options.now,
      expire: (writes, conditions) => this.writeAll(writes, conditions, "expire"),
    };
    return options.scan ? sweepByScan(target) : sweepByIndex(target);
  }

  /**
   * The chunks of uploads whose uploader is gone (its upload lease expired: a crashed or
   * stopped server's, on any server sharing the backend), then a sweep. The sweep reads the
   * index, not every record: every record has been written together with its index entry
   * (one atomic write), so a scan at each start would only cost time.
   */
  async recover(): Promise<number> {
    await cleanupUploads(this.backend, `${this.holder}:clean-up`);
    return this.sweepExpired();
  }

  /**
   * Compacts the change log by the retention options (watchRetention*), as the maintenance
   * tick does. Returns the compaction point.
   */
  compactLog(): Promise<number> {
    return this.compactor.run();
  }

  async close(): Promise<void> {
    this.sweeper?.stop();
    this.sweeper = undefined;
    this.hub.close();
    // Another server takes the maintenance over at once, not after the lease expires.
    await this.backend.releaseLease(MAINTENANCE_LEASE, this.holder).catch(() => undefined);
    await this.backend.close();
  }

  /**
   * The one path to the backend for every write (put, delete, pop, batches,
   * DeletePrefix, the expiry sweep): keys are the namespace's, the revision is
   * the write's. Change events (watch) and the expiry index hook in here.
   */
  private writeRecords(
    namespace: string,
    ops: readonly RecordOp[],
    conditions: readonly Condition[],
    cause: WriteCause = "write",
    at?: WriteMoment,
  ): Promise<number> {
    const prefix = namespacePrefix(namespace);
    return this.writeAll(
      ops.map(({ previous, ...op }) => ({ namespace, op, previous })),
      conditions.map((c) => ({ ...c, key: prefix + c.key })),
      cause,
      at,
    );
  }

  /**
   * Record writes of any namespaces as one atomic backend write (record-writes.ts), with their
   * change events encoded once into the same write's change log entry: no extra read or write.
   */
  private async writeAll(
    writes: readonly RecordWrite[],
    conditions: readonly Condition[],
    cause: WriteCause,
    at?: WriteMoment,
  ): Promise<number> {
    const change = this.backend.capabilities.changeFeed
      ? encodeChange(writes, cause === "expire", at?.now ?? this.options.now())
      : undefined;
    const revision = await this.backend.write(recordOps(writes), conditions, change, at?.queued);
    if (change) this.compactor.wrote(revision, change);
    return revision;
  }

  private target(namespace: string, call?: CallOptions): WriteTarget {
    const view = this.view(namespace);
    return {
      namespace,
      call,
      defaultTtlMs: this.options.defaultTtlMs,
      now: this.options.now,
      get: (key: string) => view.get(key),
      getMany: (keys: readonly string[]) => view.getMany(keys),
      write: (ops, conditions, at) => this.writeRecords(namespace, ops, conditions, "write", at),
      // Turns are per record: the record's backend key names it across namespaces.
      inTurn: (keys, write) =>
        this.turns.run(
          keys.map((key) => recordKey(namespace, key)),
          write,
        ),
    };
  }

  /** Normalizes an op's key and checks its TTL and condition before anything is read. */
  private checkOp(op: StoreOp): StoreOp {
    const key = this.key(op.key);
    checkConditionShape(op);
    if (op.type === "put") checkTtl(op.ttlMs, this.options.now());
    return { ...op, key };
  }

  private view(namespace: string): Backend {
    let view = this.views.get(namespace);
    if (!view) {
      view = createPrefixedBackend(this.backend, namespacePrefix(checkNamespace(namespace)));
      this.views.set(namespace, view);
    }
    return view;
  }

  private live(record: StoredRecord): boolean {
    return isLive(record, this.options.now());
  }
}
