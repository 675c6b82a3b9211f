import pg from "pg";
import { AnykvError } from "../errors.js";
import {
  type Backend,
  type BackendSnapshot,
  type ChangeEntry,
  type ChangePage,
  type ChangesOptions,
  type Condition,
  compactedError,
  KEY_PAGE,
  type RecordMeta,
  type ScanRange,
  type StoredRecord,
  UPLOAD_LEASE_PREFIX,
  type WriteOp,
} from "./backend.js";
import { conditionFailure } from "./conditions.js";
import { checkLease } from "./local-change-log.js";
import { createAdvisoryLeases } from "./postgres-advisory-lease.js";
import { engineError } from "./postgres-errors.js";
import { createCommitListener } from "./postgres-listener.js";
import { channelOf, checkSchemaName, migrate } from "./postgres-schema.js";
import { createWriteBatcher } from "./postgres-write-batch.js";
import { redactUrl } from "./redact-url.js";

/** Options of the PostgreSQL backend. */
export interface PostgresBackendOptions {
  /**
   * `postgres://user:password@host:port/database[?schema=NAME]`; the password may come from
   * PGPASSWORD instead, and never appears in messages.
   */
  readonly url: string;
  /**
   * The schema holding this data set's tables: servers sharing one data set use the same one.
   * @default the URL's `schema` parameter, else "anykv"
   */
  readonly schema?: string;
  /**
   * Most connections in the pool (followers of the change log share one more, for LISTEN).
   * @default 10
   */
  readonly poolSize?: number;
}

/** The most change log entries in one page, and the bytes a page stops at (entries may hold values). */
const CHANGE_PAGE = 256;
const CHANGE_PAGE_BYTES = 4 * 1024 * 1024;
/** Rows in a scan's first page; pages double up to MAX_SCAN_PAGE (short scans stay cheap). */
const FIRST_SCAN_PAGE = 16;
const MAX_SCAN_PAGE = 256;

type Run = (name: string, text: string, values: unknown[]) => Promise<unknown[][]>;

/**
 * The PostgreSQL backend (`pg`): several anykv servers share one data set through it
 * (docs/architecture.md, "PostgreSQL"). A write is one call of the schema's write function, so
 * one statement and one round trip: it takes the next revision from the counter row (whose lock
 * serializes writers to commit), checks the conditions, applies the ops, appends the change and
 * NOTIFYs. Reads are single statements on the records' primary key B-tree; scans page through it
 * by key; a snapshot is a REPEATABLE READ transaction. The few long-held leases (maintenance)
 * are advisory locks whose expiry the engine enforces (postgres-advisory-lease.ts), the many
 * upload leases rows with an expiry. While the engine is down every call is
 * UNAVAILABLE, and the pool opens new connections once it is back.
 */
export async function openPostgresBackend(options: PostgresBackendOptions): Promise<Backend> {
  const url = parseUrl(options.url);
  const schema = options.schema ?? url.searchParams.get("schema") ?? "anykv";
  checkSchemaName(schema);
  url.searchParams.delete("schema");
  const where = redactUrl(url.toString());
  const config: pg.ClientConfig = {
    connectionString: url.toString(),
    // The write function relies on READ COMMITTED (a fresh snapshot per statement), whatever
    // the database's default isolation is. JIT off: these are short statements on small row
    // counts, and on tables autovacuum has not analyzed yet the planner's guesses pass
    // jit_above_cost, so PostgreSQL spent a second compiling each change log read.
    options: "-c default_transaction_isolation=read\\ committed -c jit=off",
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    application_name: "anykv",
  };
  const pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
  // An idle connection that dies (engine restart) leaves the pool; the next call opens another
  // or fails with UNAVAILABLE, so nothing is lost by not reporting it here.
  pool.on("error", () => {});
  try {
    await migrate(pool, schema);
  } catch (err) {
    await pool.end().catch(() => {});
    const mapped = engineError(err, where);
    if (mapped instanceof AnykvError) throw mapped;
    throw new AnykvError("UNAVAILABLE", `cannot open PostgreSQL at ${where}: ${String(err)}`, { cause: err });
  }
  const listener = createCommitListener(config, channelOf(schema));
  // Named after the data set, so that a DBA finds a schema's lease sessions in pg_stat_activity.
  const advisory = createAdvisoryLeases({ ...config, application_name: `anykv lease ${schema}` }, schema);
  let closed = false;
  const closedError = () => new AnykvError("UNAVAILABLE", `the PostgreSQL backend (${where}) is closed`);

  const guard = async <T>(op: () => Promise<T>): Promise<T> => {
    if (closed) throw closedError();
    try {
      return await op();
    } catch (err) {
      if (closed) throw closedError();
      throw engineError(err, where);
    }
  };
  const run: Run = (name, text, values) =>
    guard(async () => (await pool.query({ name, text, values, rowMode: "array" })).rows as unknown[][]);

  const s = schema;
  const sql = {
    get: `SELECT value, meta, revision FROM ${s}.records WHERE key = $1`,
    getMany: `SELECT key, value, meta, revision FROM ${s}.records WHERE key = ANY ($1::bytea[])`,
    write: `SELECT revision, failed_condition, current_revision
      FROM ${s}.write_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    revision: `SELECT revision FROM ${s}.counter`,
    compacted: `SELECT revision FROM ${s}.compaction`,
    // One statement, so one snapshot: the head, the compaction point and the entries agree. A
    // page ends at CHANGE_PAGE entries or once it holds CHANGE_PAGE_BYTES (at least one entry);
    // `fetched` says how many the page would have had without the byte cap.
    changes: `SELECT h.revision, k.revision, c.revision, c.change, c.fetched
      FROM ${s}.counter h CROSS JOIN ${s}.compaction k
      LEFT JOIN LATERAL (
        SELECT revision, change, fetched FROM (
          SELECT revision, change, count(*) OVER () AS fetched,
            sum(octet_length(change)) OVER (ORDER BY revision) - octet_length(change) AS before
          FROM (SELECT revision, change FROM ${s}.changes
            WHERE revision > $1 AND revision <= $2 ORDER BY revision LIMIT $3) page
        ) sized WHERE before < $4
      ) c ON true
      ORDER BY c.revision`,
    // The compaction point moves and the entries go in one statement; never back, never past the head.
    compact: `WITH target AS (SELECT least($1::bigint, revision) AS upto FROM ${s}.counter),
      moved AS (UPDATE ${s}.compaction SET revision = target.upto FROM target
        WHERE target.upto > compaction.revision RETURNING compaction.revision)
      DELETE FROM ${s}.changes WHERE revision <= (SELECT revision FROM moved)`,
    // Upload leases (many, brief) are rows; the engine's clock decides expiry, so servers whose
    // clocks differ agree on who holds one. The others are advisory locks (postgres-advisory-lease.ts).
    lease: `INSERT INTO ${s}.leases AS l (name, holder, expires_at)
      VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
      ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()
      RETURNING 1`,
    release: `DELETE FROM ${s}.leases WHERE name = $1 AND holder = $2`,
  };

  const batcher = createWriteBatcher(async (writes) => {
    const opFrom: number[] = [];
    const opTo: number[] = [];
    const condFrom: number[] = [];
    const condTo: number[] = [];
    const ops: WriteOp[] = [];
    const conditions: Condition[] = [];
    for (const write of writes) {
      opFrom.push(ops.length + 1);
      ops.push(...lastOpPerKey(write.ops));
      opTo.push(ops.length);
      condFrom.push(conditions.length + 1);
      conditions.push(...write.conditions);
      condTo.push(conditions.length);
    }
    const rows = await run("write", sql.write, [
      opFrom,
      opTo,
      ops.map((op) => Buffer.from(op.key)),
      ops.map((op) => (op.type === "put" ? op.record.value : null)),
      ops.map((op) => (op.type === "put" ? JSON.stringify(op.record.meta) : null)),
      condFrom,
      condTo,
      conditions.map((c) => Buffer.from(c.key)),
      conditions.map((c) => c.revision),
      writes.map((write) => write.change ?? null),
    ]);
    return rows.map(([revision, failed, current]) => {
      if (revision !== null) return Number(revision);
      const condition = conditions[Number(failed) - 1]!;
      return conditionFailure(condition, current === null ? null : Number(current)) ?? unexpected(condition);
    });
  });

  const readPage = async (after: number, upTo: number) => {
    const rows = await run("changes", sql.changes, [after, upTo, CHANGE_PAGE, CHANGE_PAGE_BYTES]);
    const head = Number(rows[0]![0]);
    const compacted = Number(rows[0]![1]);
    if (after < compacted) throw compactedError(after, compacted);
    const entries: ChangeEntry[] = [];
    for (const row of rows)
      if (row[2] !== null) entries.push({ revision: Number(row[2]), change: row[3] as Buffer });
    const fetched = rows[0]![4] === null ? 0 : Number(rows[0]![4]);
    // A cut page reaches its last entry; the next read goes on from there.
    return { head, entries, cut: entries.length === CHANGE_PAGE || entries.length < fetched };
  };

  return {
    capabilities: {
      orderedScan: true,
      persistent: true,
      shared: true,
      changeFeed: true,
      nativeTtl: false,
      snapshots: true,
    },
    async get(key) {
      const rows = await run("get", sql.get, [Buffer.from(key)]);
      const row = rows[0];
      return row && toRecord(row[0], row[1], row[2]);
    },
    async getMany(keys) {
      if (keys.length === 0) return guard(async () => []);
      const rows = await run("getMany", sql.getMany, [keys.map((key) => Buffer.from(key))]);
      const found = new Map(
        rows.map((row) => [(row[0] as Buffer).toString(), toRecord(row[1], row[2], row[3])]),
      );
      return keys.map((key) => found.get(key));
    },
    write: (ops, conditions = [], change = undefined) =>
      closed ? Promise.reject(closedError()) : batcher.write(ops, conditions, change),
    async revision() {
      return Number((await run("revision", sql.revision, []))[0]![0]);
    },
    async compacted() {
      return Number((await run("compacted", sql.compacted, []))[0]![0]);
    },
    async compact(upTo) {
      await run("compact", sql.compact, [upTo]);
    },
    async *changes(after, changesOptions: ChangesOptions = {}) {
      const { follow = false, progressMs = 1000, signal } = changesOptions;
      if (closed) throw closedError();
      // LISTEN before the first read, so that no commit falls between the read and the wait.
      if (follow) await listener.ready();
      let position = after;
      let end = Number.MAX_SAFE_INTEGER;
      let first = true;
      let quiet = false;
      for (;;) {
        if (signal?.aborted) return;
        const since = listener.seen;
        const { head, entries, cut } = await readPage(position, end);
        if (first && !follow) end = head;
        const reached = cut ? entries.at(-1)!.revision : Math.min(head, end);
        if (first || quiet || entries.length > 0 || reached > position) {
          first = false;
          position = Math.max(position, reached);
          yield { entries, revision: position } satisfies ChangePage;
        }
        if (cut) continue;
        if (!follow) return;
        quiet = !(await listener.wait(since, progressMs, signal));
        if (signal?.aborted) return;
        if (closed) throw closedError();
      }
    },
    async lease(name, holder, ttlMs) {
      checkLease(name, holder, ttlMs);
      if (!name.startsWith(UPLOAD_LEASE_PREFIX)) return guard(() => advisory.lease(name, holder, ttlMs));
      return (await run("lease", sql.lease, [name, holder, Math.ceil(ttlMs)])).length > 0;
    },
    async releaseLease(name, holder) {
      if (!name.startsWith(UPLOAD_LEASE_PREFIX)) return guard(() => advisory.release(name, holder));
      await run("release", sql.release, [name, holder]);
    },
    snapshot: () => guard(() => openSnapshot(pool, s, where)),
    scan: (range) => scanRecords(run, s, range),
    async *scanKeys(range) {
      let page: string[] = [];
      for await (const key of scanRows(run, s, range, true, KEY_PAGE)) {
        page.push((key[0] as Buffer).toString());
        if (page.length === KEY_PAGE) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Queued writes go first, so that every acknowledged write is committed.
      await batcher.flush();
      // Ending the lease connections releases their locks: another server takes over at once.
      await advisory.close();
      await pool.end();
      await listener.close();
    },
  };
}

function parseUrl(postgresUrl: string): URL {
  try {
    return new URL(postgresUrl);
  } catch (cause) {
    // Not echoed: an unparseable URL cannot be stripped of its password.
    throw new AnykvError(
      "INVALID_ARGUMENT",
      "the PostgreSQL URL cannot be parsed (postgres://user[:password]@host[:port]/database[?schema=NAME])",
      { cause },
    );
  }
}

/** A snapshot: one pooled connection in a REPEATABLE READ transaction, so every page reads the same point. */
async function openSnapshot(pool: pg.Pool, s: string, where: string): Promise<BackendSnapshot> {
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.release(err);
  };
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows } = await client.query({ text: `SELECT revision FROM ${s}.counter`, rowMode: "array" });
    const revision = Number((rows[0] as unknown[])[0]);
    const run: Run = async (name, text, values) => {
      if (released) throw new AnykvError("UNAVAILABLE", "the snapshot is closed");
      try {
        return (await client.query({ name: `snapshot ${name}`, text, values, rowMode: "array" }))
          .rows as unknown[][];
      } catch (err) {
        throw engineError(err, where);
      }
    };
    return {
      revision,
      scan: (range) => scanRecords(run, s, range),
      async close() {
        if (released) return;
        try {
          await client.query("COMMIT");
          release();
        } catch (err) {
          release(err as Error);
        }
      },
    };
  } catch (err) {
    release(err as Error);
    throw err;
  }
}

async function* scanRecords(
  run: Run,
  s: string,
  range: ScanRange,
): AsyncGenerator<readonly [string, StoredRecord]> {
  for await (const row of scanRows(run, s, range, false, MAX_SCAN_PAGE))
    yield [(row[0] as Buffer).toString(), toRecord(row[1], row[2], row[3])] as const;
}

/**
 * The rows of a range in key order, page after page (keyset pagination: each page starts past
 * the last key of the one before), so that no connection is held while the caller consumes them.
 */
async function* scanRows(
  run: Run,
  s: string,
  range: ScanRange,
  keysOnly: boolean,
  maxPage: number,
): AsyncGenerator<unknown[]> {
  const reverse = range.reverse ?? false;
  let gte: Buffer = Buffer.from(range.gte ?? "");
  let lt: Buffer | undefined = range.lt === undefined ? undefined : Buffer.from(range.lt);
  let left = range.limit ?? Number.POSITIVE_INFINITY;
  let size = keysOnly ? maxPage : FIRST_SCAN_PAGE;
  while (left > 0) {
    if (range.signal?.aborted) return;
    const limit = Math.min(size, left);
    const columns = keysOnly ? "key" : "key, value, meta, revision";
    const upper = lt === undefined ? "" : " AND key < $2";
    const order = reverse ? "DESC" : "ASC";
    const text = `SELECT ${columns} FROM ${s}.records WHERE key >= $1${upper} ORDER BY key ${order} LIMIT $${lt === undefined ? 2 : 3}`;
    const name = `scan ${keysOnly ? "keys" : "records"} ${order}${upper === "" ? "" : " bounded"}`;
    const rows = await run(name, text, lt === undefined ? [gte, limit] : [gte, lt, limit]);
    for (const row of rows) {
      if (range.signal?.aborted) return;
      yield row;
    }
    left -= rows.length;
    if (rows.length < limit) return;
    const last = rows[rows.length - 1]![0] as Buffer;
    // The next key after `last` in byte order is `last` followed by a zero byte.
    if (reverse) lt = last;
    else gte = Buffer.concat([last, Buffer.alloc(1)]);
    size = Math.min(size * 2, maxPage);
  }
}

function toRecord(value: unknown, meta: unknown, revision: unknown): StoredRecord {
  return {
    value: value as Buffer,
    meta: { ...(JSON.parse(meta as string) as Omit<RecordMeta, "revision">), revision: Number(revision) },
  };
}

/** The effect of a write's ops, one per key: the last op on each key wins, as if they were applied in order. */
function lastOpPerKey(ops: readonly WriteOp[]): WriteOp[] {
  const last = new Map<string, WriteOp>();
  for (const op of ops) last.set(op.key, op);
  return last.size === ops.length ? [...ops] : [...last.values()];
}

/** A condition the engine reported as failed holds here: the engine and this file disagree. */
function unexpected(condition: Condition): AnykvError {
  return new AnykvError("CONFLICT", `key "${condition.key}" changed while its condition was checked`);
}
