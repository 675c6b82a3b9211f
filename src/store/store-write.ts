import type {
  ChunkManifest,
  Condition,
  NewRecord,
  RecordMeta,
  StoredRecord,
  WriteOp,
  WriteTicket,
} from "../backend/backend.js";
import { AnykvError, isAnykvError } from "../errors.js";
import { type CallOptions, RETRY, retryOnConflict } from "./conflict-retry.js";
import type { QueuedWrite, Turn } from "./key-turns.js";
import { checkCondition, hasCondition, type WriteCondition } from "./write-conditions.js";

/** The bytes a put writes and how they were made (the codec's output). */
export interface PutInput {
  readonly value: Uint8Array;
  readonly codec: string;
  readonly kind: string;
  readonly model: string;
  readonly contentType: string;
  /** Set for a value stored in chunks (Upload); `value` is then empty. */
  readonly chunks?: ChunkManifest | undefined;
}

/** A write op with the raw record it replaces or removes (expired ones too), for the index and events. */
export type RecordOp = WriteOp & { readonly previous: StoredRecord | undefined };

/** A stored value as the store hands it out: its bytes and metadata, under its normalized key. */
export interface Entry {
  readonly key: string;
  readonly namespace: string;
  readonly value: Uint8Array;
  readonly meta: RecordMeta;
}

export interface PutOptions extends WriteCondition {
  /** Time to live in ms; undefined uses the store default, 0 never expires. */
  readonly ttlMs?: number | undefined;
}

/** One operation of a store write. Keys are raw here; the store normalizes them. */
export type StoreOp =
  | ({ readonly type: "put"; readonly key: string; readonly input: PutInput } & PutOptions)
  | ({ readonly type: "del"; readonly key: string } & WriteCondition);

export type OpResult =
  | { readonly type: "put"; readonly entry: Entry }
  | {
      readonly type: "del";
      /** True when a live key was removed. */
      readonly deleted: boolean;
      /** The revision of the write; 0 when nothing was deleted. */
      readonly revision: number;
      /** The value that was removed. */
      readonly previous?: Entry | undefined;
    };

export interface WriteResult {
  /** The revision of the write; 0 when it changed nothing. */
  readonly revision: number;
  /** One result per op, in order. */
  readonly results: readonly OpResult[];
}

/** What a write was decided on, for the store's one write path. */
export interface WriteMoment {
  /**
   * The time its records were judged live or expired: its change events (the expiry of a
   * record it replaces) are judged at the same time.
   */
  readonly now: number;
  /** Backend.write's `queued`: lets the next write of its keys build on it. */
  readonly queued?: ((ticket: WriteTicket) => void) | undefined;
}

/** What a commit needs from the store: one namespace's records, the clock, and the one write path. */
export interface WriteTarget {
  readonly namespace: string;
  readonly defaultTtlMs: number;
  /** The call's options: its conflict retries stop when its signal aborts. */
  readonly call?: CallOptions | undefined;
  now(): number;
  get(key: string): Promise<StoredRecord | undefined>;
  getMany(keys: readonly string[]): Promise<(StoredRecord | undefined)[]>;
  /** The one backend write. */
  write(ops: readonly RecordOp[], conditions: readonly Condition[], at?: WriteMoment): Promise<number>;
  /** Runs a write of these keys after this process's earlier writes of them (key-turns.ts). */
  inTurn<T>(keys: readonly string[], write: (turn: Turn) => Promise<T>): Promise<T>;
}

/**
 * Applies ops (normalized keys, each key at most once) as one atomic backend
 * write. Callers' conditions are checked against the live state read first;
 * the backend write is then conditional on exactly the records that were
 * read (every op's: the write also moves their expiry index entries and
 * frees their chunks), so a writer slipping in between makes it retry (and
 * a caller's condition then fails with CONFLICT). Expired
 * records count as absent, but the condition pins their raw revision. The
 * retries are bounded, back off and stop when the call is cancelled
 * (conflict-retry.ts). Writes of the same keys in this process take turns
 * (key-turns.ts), so a hot key does not make its writers race each other,
 * and a put with no condition of its own builds on the queued write before it
 * (pinned to its ticket), so that a hot key's writes share a group commit.
 */
export function commit(target: WriteTarget, ops: readonly StoreOp[]): Promise<WriteResult> {
  const what = ops.length === 1 ? `the write of key "${ops[0]!.key}"` : `a write of ${ops.length} keys`;
  return target.inTurn(
    ops.map((op) => op.key),
    (turn) => {
      // A call cancelled while it waited for its turn is not written. (Its signal is read only
      // then: the unary fast path makes it on demand.)
      if (turn.waited) target.call?.signal?.throwIfAborted();
      return retryOnConflict(what, () => attempt(target, ops, turn), target.call);
    },
  );
}

async function attempt(
  target: WriteTarget,
  ops: readonly StoreOp[],
  turn: Turn,
): Promise<WriteResult | typeof RETRY> {
  const now = target.now();
  // The common case, no write of these keys ahead, reads as it always did: no extra frame.
  const ahead = turn.waited ? await aheadOf(ops, turn, now) : undefined;
  const records = ahead
    ? await readAround(target, ops, ahead)
    : await target.getMany(ops.map((op) => op.key));
  const live = records.map((r) => (r && isLive(r, now) ? r : undefined));
  ops.forEach((op, i) => {
    if (hasCondition(op)) checkCondition(target.namespace, op.key, op, live[i]?.meta.revision);
  });
  const writes: RecordOp[] = [];
  const pins: Condition[] = [];
  const puts = ops.map((op, i) => {
    const record = records[i];
    // Every op is pinned to the record read: the write removes that record's expiry
    // index entry and chunks, so it must be the one replaced. A queued put's record is pinned
    // by its ticket, since the revision it gets is not known yet (a queued delete's absence
    // is pinned as any absence).
    const queued = ahead?.[i]?.record && ahead[i]?.ticket;
    pins.push(
      queued
        ? { key: op.key, revision: null, after: queued }
        : { key: op.key, revision: record?.meta.revision ?? null },
    );
    if (op.type === "del") {
      if (record) writes.push({ type: "del", key: op.key, previous: record });
      return undefined;
    }
    const put = newRecord(target, op, live[i], now);
    writes.push({ type: "put", key: op.key, record: put, previous: record });
    return put;
  });
  if (writes.length === 0) {
    return { revision: 0, results: ops.map(() => ({ type: "del", deleted: false, revision: 0 })) };
  }
  // What the next write of these keys may build on once this one is queued: only the keys it
  // writes (a delete of an absent key leaves nothing to build on).
  const queued = (ticket: WriteTicket) =>
    turn.queued((i) => {
      const op = ops[i];
      return op && (op.type === "put" || records[i]) ? { record: puts[i], ticket } : undefined;
    });
  let revision: number;
  try {
    revision = await target.write(writes, pins, { now, queued });
  } catch (err) {
    if (isAnykvError(err, "CONFLICT")) return RETRY;
    throw err;
  }
  const results = ops.map((op, i): OpResult => {
    const put = puts[i];
    if (put)
      return {
        type: "put",
        entry: toEntry(target.namespace, op.key, { ...put, meta: { ...put.meta, revision } }),
      };
    const previous = live[i] && toEntry(target.namespace, op.key, live[i]);
    return { type: "del", deleted: !!previous, revision: previous ? revision : 0, previous };
  });
  return { revision, results };
}

/**
 * The writes queued ahead of the ops on their keys (key-turns.ts) that they build on, if any.
 * Only puts with no condition of their own build on a queued write: each takes that write's
 * record as the one it replaces, and pins its ticket. Anything else (a delete, a condition, a
 * queued record that has expired) needs committed revisions: it waits for the writes ahead to
 * settle, and then reads them (undefined).
 */
async function aheadOf(
  ops: readonly StoreOp[],
  turn: Turn,
  now: number,
): Promise<(QueuedWrite | undefined)[] | undefined> {
  const ahead = ops.map((_, i) => turn.ahead(i));
  if (ahead.every((queued) => queued === undefined)) return undefined;
  const buildsOn = ops.every(
    (op, i) =>
      op.type === "put" &&
      !hasCondition(op) &&
      (ahead[i]?.record === undefined || isLive(ahead[i].record, now)),
  );
  if (buildsOn) return ahead;
  await turn.settled();
  return undefined;
}

/** The records the ops replace: the queued writes' records, and the committed ones of the others. */
async function readAround(
  target: WriteTarget,
  ops: readonly StoreOp[],
  ahead: readonly (QueuedWrite | undefined)[],
): Promise<(StoredRecord | undefined)[]> {
  const unread = ops.filter((_, i) => ahead[i] === undefined).map((op) => op.key);
  const read = unread.length > 0 ? await target.getMany(unread) : [];
  let next = 0;
  return ahead.map((queued) => (queued ? queued.record && asStored(queued.record) : read[next++]));
}

/**
 * A queued write's record as the record it will be. Its revision is not known yet (0 here): a
 * write that builds on it pins its ticket instead, and uses only what a put needs of the record
 * it replaces (created_at, the expiry and chunks its ops remove).
 */
function asStored(record: NewRecord): StoredRecord {
  return { value: record.value, meta: { ...record.meta, revision: 0 } };
}

/** Fails with INVALID_ARGUMENT when a key appears twice: a batch's conditions must be unambiguous. */
export function checkUniqueKeys(ops: readonly StoreOp[]): void {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.key))
      throw new AnykvError("INVALID_ARGUMENT", `key "${op.key}" appears more than once in the batch`);
    seen.add(op.key);
  }
}

/**
 * The longest TTL: protobuf's longest Duration (10000 years). Longer ones would not fit the
 * expiry index's 15-digit times (a time printed as "1e+33" sorts first and is swept at once).
 */
export const MAX_TTL_MS = 315_576_000_000_000;

/** The latest time a google.protobuf.Timestamp holds (9999-12-31T23:59:59.999Z, in ms): no expiry goes past it. */
export const MAX_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function checkTtl(ttlMs: number | undefined, now: number): void {
  if (ttlMs !== undefined && !(ttlMs >= 0))
    throw new AnykvError("INVALID_ARGUMENT", "ttl must not be negative");
  if (ttlMs !== undefined && ttlMs > MAX_TTL_MS)
    throw new AnykvError("INVALID_ARGUMENT", "ttl must be at most 10000 years (315576000000 s)");
  if (ttlMs !== undefined && Math.ceil(now + ttlMs) > MAX_EXPIRY_MS)
    throw new AnykvError(
      "INVALID_ARGUMENT",
      `ttl ${Math.ceil(ttlMs / 1000)} s puts the expiry after 9999-12-31T23:59:59Z, the latest time KeyInfo can carry; use 0 for never`,
    );
}

/** Whether a record (stored, or about to be) has not expired at `now`. */
export function isLive(record: { readonly meta: Pick<RecordMeta, "expiresAt"> }, now: number): boolean {
  return record.meta.expiresAt === undefined || record.meta.expiresAt > now;
}

/** The size of an entry's value, whether stored whole or in chunks. */
export function entrySize(entry: Entry): number {
  return entry.meta.chunks?.size ?? entry.value.length;
}

export function toEntry(namespace: string, key: string, record: StoredRecord): Entry {
  return { key, namespace, value: record.value, meta: record.meta };
}

function newRecord(
  target: WriteTarget,
  op: Extract<StoreOp, { type: "put" }>,
  previous: StoredRecord | undefined,
  now: number,
): NewRecord {
  const ttlMs = op.ttlMs ?? target.defaultTtlMs;
  const { input } = op;
  return {
    value: input.value,
    meta: {
      codec: input.codec,
      kind: input.kind,
      model: input.model,
      contentType: input.contentType,
      createdAt: previous ? previous.meta.createdAt : now,
      updatedAt: now,
      // Whole milliseconds: the expiry index's times are integers.
      expiresAt: ttlMs > 0 ? Math.ceil(now + ttlMs) : undefined,
      ...(input.chunks ? { chunks: input.chunks } : {}),
    },
  };
}
