import type { Backend, Condition, StoredRecord, WriteOp } from "../backend/backend.js";
import { createPrefixedBackend } from "../backend/prefixed-backend.js";
import { type AnykvError, isAnykvError } from "../errors.js";
import { checkNamespace, normalizeKey } from "./keys.js";
import { type ListFilter, type ListOptions, planListing } from "./listing.js";
import { deleteEntries, writeEach } from "./store-batch.js";
import { resolveStoreOptions, type StoreOptions } from "./store-options.js";
import {
  checkTtl,
  checkUniqueKeys,
  commit,
  type Entry,
  isLive,
  type OpResult,
  type PutInput,
  type PutOptions,
  type StoreOp,
  toEntry,
  type WriteResult,
  type WriteTarget,
} from "./store-write.js";
import { checkConditionShape, type WriteCondition } from "./write-conditions.js";

export type { ListFilter, ListOptions } from "./listing.js";
export type { Entry, OpResult, PutInput, PutOptions, StoreOp, WriteResult } from "./store-write.js";
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
// no namespace's keys run into another's. Other prefixes are free for the system.
const namespacePrefix = (namespace: string) => `d${namespace}\u0000`;

/**
 * The store: key rules, namespaces, TTL, revisions and conditions over a
 * Backend. It knows nothing of codecs or the wire; values are bytes plus
 * metadata. Every backend write goes through writeRecords.
 */
export class Store {
  readonly options: StoreOptions;
  private readonly views = new Map<string, Backend>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly backend: Backend,
    options: Partial<StoreOptions> = {},
  ) {
    this.options = resolveStoreOptions(options);
    if (this.options.sweepIntervalMs > 0) {
      // One sweep at a time: a sweep scans every key, and on a large store it outlasts the interval.
      let sweeping = false;
      this.sweeper = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        void this.sweepExpired()
          .catch(() => undefined)
          .finally(() => {
            sweeping = false;
          });
      }, this.options.sweepIntervalMs);
      this.sweeper.unref();
    }
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

  /** Reads and deletes a key atomically: of two concurrent pops, one gets the value. */
  /**
   * `inspect` runs on the entry before the delete commits; when it throws,
   * nothing is deleted (a pop whose answer cannot be decoded keeps the value).
   */
  async pop(namespace: string, key: string, inspect?: (entry: Entry) => void): Promise<Entry | undefined> {
    const k = this.key(key);
    const view = this.view(namespace);
    for (;;) {
      const record = await view.get(k);
      if (!record) return undefined;
      const live = this.live(record);
      if (live) inspect?.(toEntry(namespace, k, record));
      try {
        await this.writeRecords(
          namespace,
          [{ type: "del", key: k }],
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
    for await (const entry of this.entries(namespace, options)) yield entry.key;
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
   * The stored bytes of an entry, chunk by chunk. Values are one chunk today;
   * chunked large values (Upload/Download) plug in here, and Stream reads
   * through it.
   */
  async *chunks(entry: Entry): AsyncGenerator<Uint8Array> {
    yield entry.value;
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

  /** Removes expired keys; a key rewritten meanwhile is left alone (the delete is conditional). */
  async sweepExpired(): Promise<number> {
    const now = this.options.now();
    let removed = 0;
    for await (const [raw, record] of this.backend.scan({ gte: "d", lt: "e" })) {
      if (record.meta.expiresAt === undefined || record.meta.expiresAt > now) continue;
      const split = raw.indexOf("\u0000");
      const namespace = raw.slice(1, split);
      const key = raw.slice(split + 1);
      try {
        await this.writeRecords(
          namespace,
          [{ type: "del", key }],
          [{ key, revision: record.meta.revision }],
          "expire",
        );
        removed++;
      } catch (err) {
        if (!isAnykvError(err, "CONFLICT")) throw err;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.backend.close();
  }

  /**
   * The one path to the backend for every write (put, delete, pop, batches,
   * DeletePrefix, the expiry sweep): keys are the namespace's, the revision is
   * the write's. Change events (watch) and the expiry index hook in here.
   */
  private async writeRecords(
    namespace: string,
    ops: readonly WriteOp[],
    conditions: readonly Condition[],
    _cause: WriteCause = "write",
  ): Promise<number> {
    return this.view(namespace).write(ops, conditions);
  }

  private target(namespace: string): WriteTarget {
    const view = this.view(namespace);
    return {
      namespace,
      defaultTtlMs: this.options.defaultTtlMs,
      now: this.options.now,
      get: (key: string) => view.get(key),
      write: (ops: readonly WriteOp[], conditions: readonly Condition[]) =>
        this.writeRecords(namespace, ops, conditions),
    };
  }

  /** Normalizes an op's key and checks its TTL and condition before anything is read. */
  private checkOp(op: StoreOp): StoreOp {
    const key = this.key(op.key);
    checkConditionShape(op);
    if (op.type === "put") checkTtl(op.ttlMs);
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
