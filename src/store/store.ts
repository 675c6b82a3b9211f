import type { Backend, RecordMeta, StoredRecord } from "../backend/backend.js";
import { createPrefixedBackend, prefixEnd } from "../backend/prefixed-backend.js";
import { AnykvError, isAnykvError } from "../errors.js";
import { compileGlob } from "./glob.js";
import { checkNamespace, isUnderPrefix, normalizeKey, normalizePrefix } from "./keys.js";
import { resolveStoreOptions, type StoreOptions } from "./store-options.js";

/** A stored value as the store hands it out: its bytes and metadata, under its normalized key. */
export interface Entry {
  readonly key: string;
  readonly namespace: string;
  readonly value: Uint8Array;
  readonly meta: RecordMeta;
}

/** The bytes a put writes and how they were made (the codec's output). */
export interface PutInput {
  readonly value: Uint8Array;
  readonly codec: string;
  readonly kind: string;
  readonly model: string;
  readonly contentType: string;
}

export interface PutOptions {
  /** Time to live in ms; undefined uses the store default, 0 never expires. */
  readonly ttlMs?: number | undefined;
}

export interface ListOptions {
  readonly prefix?: string;
  readonly excludePrefix?: string;
  readonly glob?: string;
  /** 0 or undefined: no limit. */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

// Namespace n's keys live under "d" + n + NUL: namespaces may not contain NUL, so
// no namespace's keys run into another's. Other prefixes are free for the system.
const namespacePrefix = (namespace: string) => `d${namespace}\u0000`;

/**
 * The store: key rules, namespaces, TTL and revisions over a Backend. It
 * knows nothing of codecs or the wire; values are bytes plus metadata.
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
      this.sweeper = setInterval(
        () => void this.sweepExpired().catch(() => undefined),
        this.options.sweepIntervalMs,
      );
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

  async put(namespace: string, key: string, input: PutInput, options: PutOptions = {}): Promise<Entry> {
    const k = this.key(key);
    const view = this.view(namespace);
    const now = this.options.now();
    const previous = await view.get(k);
    const ttlMs = options.ttlMs ?? this.options.defaultTtlMs;
    if (!(ttlMs >= 0)) throw new AnykvError("INVALID_ARGUMENT", "ttl must not be negative");
    const meta: Omit<RecordMeta, "revision"> = {
      codec: input.codec,
      kind: input.kind,
      model: input.model,
      contentType: input.contentType,
      createdAt: previous && this.live(previous) ? previous.meta.createdAt : now,
      updatedAt: now,
      expiresAt: ttlMs > 0 ? now + ttlMs : undefined,
    };
    const revision = await view.write([{ type: "put", key: k, record: { value: input.value, meta } }]);
    return toEntry(namespace, k, { value: input.value, meta: { ...meta, revision } });
  }

  /** Deletes a key; false when there was none (deleting nothing is not an error). */
  async delete(namespace: string, key: string): Promise<boolean> {
    return (await this.take(namespace, key)) !== undefined;
  }

  /** Reads and deletes a key atomically: of two concurrent pops, one gets the value. */
  /**
   * `inspect` runs on the entry before the delete commits; when it throws,
   * nothing is deleted (a pop whose answer cannot be decoded keeps the value).
   */
  async pop(namespace: string, key: string, inspect?: (entry: Entry) => void): Promise<Entry | undefined> {
    return this.take(namespace, key, inspect);
  }

  async exists(namespace: string, key: string): Promise<boolean> {
    return (await this.get(namespace, key)) !== undefined;
  }

  /** Streams the live keys of a namespace in key order. */
  async *keys(namespace: string, options: ListOptions = {}): AsyncGenerator<string> {
    for await (const entry of this.entries(namespace, options)) yield entry.key;
  }

  /** Streams live entries in key order, with the listing filters applied. */
  async *entries(namespace: string, options: ListOptions = {}): AsyncGenerator<Entry> {
    const prefix = normalizePrefix(options.prefix ?? "", this.options.maxKeyBytes);
    const exclude = options.excludePrefix
      ? normalizePrefix(options.excludePrefix, this.options.maxKeyBytes)
      : undefined;
    const matches = options.glob ? compileGlob(options.glob) : undefined;
    const limit = options.limit || Number.POSITIVE_INFINITY;
    const view = this.view(namespace);
    let count = 0;
    // `prefix` itself sorts before everything below it ("foo" < "foo/…"), so read it first.
    const ranges =
      prefix === ""
        ? [{}]
        : [
            { gte: prefix, lt: `${prefix}\u0000` },
            { gte: `${prefix}/`, lt: prefixEnd(`${prefix}/`) },
          ];
    for (const range of ranges) {
      for await (const [key, record] of view.scan({
        ...range,
        ...(options.signal ? { signal: options.signal } : {}),
      })) {
        if (count >= limit) return;
        if (!this.live(record) || !isUnderPrefix(key, prefix)) continue;
        if (exclude !== undefined && exclude !== "" && isUnderPrefix(key, exclude)) continue;
        if (matches && !matches(prefix === "" ? key : key.slice(prefix.length + 1))) continue;
        count++;
        yield toEntry(namespace, key, record);
      }
    }
  }

  /** Removes expired keys; a key rewritten meanwhile is left alone (the delete is conditional). */
  async sweepExpired(): Promise<number> {
    const now = this.options.now();
    let removed = 0;
    for await (const [key, record] of this.backend.scan({ gte: "d", lt: "e" })) {
      if (record.meta.expiresAt === undefined || record.meta.expiresAt > now) continue;
      try {
        await this.backend.write([{ type: "del", key }], [{ key, revision: record.meta.revision }]);
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

  private view(namespace: string): Backend {
    let view = this.views.get(namespace);
    if (!view) {
      view = createPrefixedBackend(this.backend, namespacePrefix(checkNamespace(namespace)));
      this.views.set(namespace, view);
    }
    return view;
  }

  private live(record: StoredRecord): boolean {
    return record.meta.expiresAt === undefined || record.meta.expiresAt > this.options.now();
  }

  /** Deletes a live key, conditional on the revision read, retrying when a writer slips in. */
  private async take(
    namespace: string,
    key: string,
    inspect?: (entry: Entry) => void,
  ): Promise<Entry | undefined> {
    const k = this.key(key);
    const view = this.view(namespace);
    for (;;) {
      const record = await view.get(k);
      if (!record) return undefined;
      const live = this.live(record);
      if (live) inspect?.(toEntry(namespace, k, record));
      try {
        await view.write([{ type: "del", key: k }], [{ key: k, revision: record.meta.revision }]);
      } catch (err) {
        if (isAnykvError(err, "CONFLICT")) continue;
        throw err;
      }
      // An expired record is removed as a side effect, but it was not there for the caller.
      return live ? toEntry(namespace, k, record) : undefined;
    }
  }
}

function toEntry(namespace: string, key: string, record: StoredRecord): Entry {
  return { key, namespace, value: record.value, meta: record.meta };
}
