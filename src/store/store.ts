import type { Backend, Condition, StoredRecord } from "../backend/backend.js";
import { createPrefixedBackend } from "../backend/prefixed-backend.js";
import { AnykvError, isAnykvError } from "../errors.js";
import { type Periodic, runPeriodically, warningReports } from "./background-tasks.js";
import { cleanupUploads, readChunks } from "./chunked-values.js";
import { type SweepTarget, sweepByIndex, sweepByScan } from "./expiry-sweep.js";
import { type KeyListingSource, keyPages } from "./key-listing.js";
import { checkNamespace, normalizeKey, normalizePrefix } from "./keys.js";
import { type ListFilter, type ListOptions, planListing } from "./listing.js";
import { changeEvents, type RecordWrite, recordOps } from "./record-writes.js";
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
  type WriteResult,
  type WriteTarget,
} from "./store-write.js";
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
  private readonly startedAt: number;

  constructor(
    readonly backend: Backend,
    options: Partial<StoreOptions> = {},
  ) {
    this.options = resolveStoreOptions(options);
    this.startedAt = this.options.now();
    // An empty write tells the store's revision at start: the watch ring holds nothing older.
    // It is queued before any other write of this store.
    this.hub = new WatchHub(
      {
        events: this.options.watchRetentionEvents,
        ageMs: this.options.watchRetentionMs,
        bytes: this.options.watchRetentionBytes,
        watcherBytes: this.options.watchBufferBytes,
      },
      this.options.now,
      backend.write([]),
    );
    // The first sweep also removes the chunks of uploads a previous server left unfinished (tried
    // again with backoff until it succeeds); every sweep reads only the due part of the expiry index.
    if (this.options.sweepIntervalMs > 0)
      this.sweeper = runPeriodically(
        this.options.sweepIntervalMs,
        [() => this.recover(), () => this.sweepExpired()],
        ["recovery", "expiry sweep"],
        this.options.reports ?? warningReports,
      );
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
  async put(namespace: string, key: string, input: PutInput, options: PutOptions = {}): Promise<Entry> {
    const [result] = (await this.write(namespace, [{ type: "put", key, input, ...options }])).results;
    if (result?.type !== "put") throw new Error("unreachable: a put without its result");
    return result.entry;
  }

  /** Deletes a key; deleting nothing is not an error. A failed condition is CONFLICT. */
  async delete(namespace: string, key: string, condition: WriteCondition = {}): Promise<DeleteResult> {
    const [result] = (await this.write(namespace, [{ type: "del", key, ...condition }])).results;
    if (result?.type !== "del") throw new Error("unreachable: a delete without its result");
    return { deleted: result.deleted, revision: result.revision };
  }

  /**
   * Applies ops atomically under one revision, conditions included: all or
   * nothing. Each key may appear once (INVALID_ARGUMENT otherwise).
   */
  async write(namespace: string, ops: readonly StoreOp[]): Promise<WriteResult> {
    const normalized = ops.map((op) => this.checkOp(op));
    checkUniqueKeys(normalized);
    return commit(this.target(namespace), normalized);
  }

  /**
   * Applies ops in order, each on its own (PutMany, DeleteMany): an op that
   * fails yields its error and the others go on. See writeEach.
   */
  writeEach(namespace: string, ops: readonly StoreOp[]): Promise<Array<OpResult | AnykvError>> {
    return writeEach(this.target(namespace), ops, (op) => this.checkOp(op));
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
  ): Promise<Entry | undefined> {
    const k = this.key(key);
    const view = this.view(namespace);
    for (;;) {
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
        if (isAnykvError(err, "CONFLICT")) continue;
        throw err;
      }
      // An expired record is removed as a side effect, but it was not there for the caller.
      return live ? toEntry(namespace, k, record) : undefined;
    }
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
    });
  }

  /**
   * The changes under a prefix, one group per revision, from `startRevision`
   * (COMPACTED when it is older than the retention window). The first group
   * has no events and the store's revision. Needs a backend that only this
   * server writes to (capabilities.shared false).
   */
  async *watch(namespace: string, options: WatchOptions = {}): AsyncGenerator<RevisionEvents> {
    checkNamespace(namespace);
    if (this.backend.capabilities.shared)
      throw new AnykvError("UNIMPLEMENTED", "watch needs a backend that only this server writes to");
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
   * After a start: the chunks of uploads that an earlier server never committed, then a sweep.
   * The sweep reads the index, not every record: every record has been written together with
   * its index entry (one atomic write), so a scan at each start would only cost time.
   */
  async recover(): Promise<number> {
    // On a shared backend other servers' uploads may be in flight: only day-old ones are orphans.
    const shared = this.backend.capabilities.shared;
    await cleanupUploads(this.backend, shared ? this.options.now() - 86_400_000 : this.startedAt);
    return this.sweepExpired();
  }

  async close(): Promise<void> {
    this.sweeper?.stop();
    this.sweeper = undefined;
    this.hub.close();
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
  ): Promise<number> {
    const prefix = namespacePrefix(namespace);
    return this.writeAll(
      ops.map(({ previous, ...op }) => ({ namespace, op, previous })),
      conditions.map((c) => ({ ...c, key: prefix + c.key })),
      cause,
    );
  }

  /** Record writes of any namespaces as one atomic backend write (record-writes.ts), then their events. */
  private async writeAll(
    writes: readonly RecordWrite[],
    conditions: readonly Condition[],
    cause: WriteCause,
  ): Promise<number> {
    const revision = await this.backend.write(recordOps(writes), conditions);
    this.hub.publish(revision, changeEvents(writes, revision, cause === "expire", this.options.now()));
    return revision;
  }

  private target(namespace: string): WriteTarget {
    const view = this.view(namespace);
    return {
      namespace,
      defaultTtlMs: this.options.defaultTtlMs,
      now: this.options.now,
      get: (key: string) => view.get(key),
      getMany: (keys: readonly string[]) => view.getMany(keys),
      write: (ops: readonly RecordOp[], conditions: readonly Condition[]) =>
        this.writeRecords(namespace, ops, conditions),
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
