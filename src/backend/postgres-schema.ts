import type { Pool } from "pg";
import { AnykvError } from "../errors.js";

/** A schema name the backend may interpolate into SQL: lowercase, digits and `_`, as PostgreSQL folds it. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

export function checkSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema))
    throw new AnykvError(
      "INVALID_ARGUMENT",
      `the PostgreSQL schema "${schema}" must be lowercase letters, digits and _ (at most 48), not starting with a digit`,
    );
}

/** The LISTEN/NOTIFY channel of a schema's commits. */
export const channelOf = (schema: string) => `${schema}_changes`;

/**
 * The tables and the write function (write_batch) of one anykv data set, in its own schema (docs/architecture.md,
 * "PostgreSQL"). Keys are bytea, the key's UTF-8: PostgreSQL text cannot hold the NUL bytes the
 * store's keys contain, and bytea's B-tree order is byte order, which for UTF-8 is Unicode code
 * point order (what a COLLATE "C" text column would give). Idempotent: every server runs it at
 * start, serialized by an advisory lock so that two servers starting at once do not race on
 * CREATE.
 */
function schemaSql(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.records (
  key bytea PRIMARY KEY,
  value bytea NOT NULL,
  meta text NOT NULL,
  revision bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.counter (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  revision bigint NOT NULL
);
INSERT INTO ${s}.counter (revision) VALUES (0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS ${s}.changes (
  revision bigint PRIMARY KEY,
  change bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.compaction (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  revision bigint NOT NULL
);
INSERT INTO ${s}.compaction (revision) VALUES (0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS ${s}.leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
-- A batch of writes (one process's group commit), atomic as one statement; each write keeps
-- its own revision and its own conditions. The counter row's lock, taken first and held to
-- commit, serializes batches: revisions are handed out and committed in the same order, so a
-- snapshot always holds a prefix of the revisions, and the conditions, checked under the lock
-- in READ COMMITTED (each statement sees every write committed before it and the batch's
-- earlier writes), are exact. Write i's ops are op_*[op_from[i]:op_to[i]] (a NULL value is a
-- delete; one op per key), its conditions cond_*[cond_from[i]:cond_to[i]], its change
-- entries[i] (NULL: none). One row per write: its revision, or the failed condition's index
-- (into cond_*) and that key's revision (NULL: absent).
CREATE OR REPLACE FUNCTION ${s}.write_batch(
  op_from int[], op_to int[], op_keys bytea[], op_values bytea[], op_metas text[],
  cond_from int[], cond_to int[], cond_keys bytea[], cond_revisions bigint[], entries bytea[]
) RETURNS TABLE (revision bigint, failed_condition bigint, current_revision bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  head bigint;
  first_head bigint;
  notify boolean := false;
  failed record;
BEGIN
  SELECT c.revision INTO head FROM ${s}.counter c FOR UPDATE;
  first_head := head;
  FOR i IN 1 .. coalesce(cardinality(entries), 0) LOOP
    revision := NULL;
    failed_condition := NULL;
    current_revision := NULL;
    IF cond_from[i] <= cond_to[i] THEN
      SELECT c.ord + cond_from[i] - 1 AS ord, r.revision AS current INTO failed
        FROM unnest(cond_keys[cond_from[i]:cond_to[i]], cond_revisions[cond_from[i]:cond_to[i]])
          WITH ORDINALITY AS c(k, want, ord)
        LEFT JOIN ${s}.records r ON r.key = c.k
        WHERE r.revision IS DISTINCT FROM c.want
        ORDER BY c.ord LIMIT 1;
      IF FOUND THEN
        failed_condition := failed.ord;
        current_revision := failed.current;
        RETURN NEXT;
        CONTINUE;
      END IF;
    END IF;
    head := head + 1;
    IF op_from[i] <= op_to[i] THEN
      DELETE FROM ${s}.records r
        USING unnest(op_keys[op_from[i]:op_to[i]], op_values[op_from[i]:op_to[i]]) AS o(k, v)
        WHERE o.v IS NULL AND r.key = o.k;
      INSERT INTO ${s}.records AS r (key, value, meta, revision)
        SELECT o.k, o.v, o.m, head
        FROM unnest(op_keys[op_from[i]:op_to[i]], op_values[op_from[i]:op_to[i]], op_metas[op_from[i]:op_to[i]]) AS o(k, v, m)
        WHERE o.v IS NOT NULL
        ON CONFLICT (key) DO UPDATE
          SET value = EXCLUDED.value, meta = EXCLUDED.meta, revision = EXCLUDED.revision;
    END IF;
    IF entries[i] IS NOT NULL THEN
      INSERT INTO ${s}.changes (revision, change) VALUES (head, entries[i]);
      notify := true;
    END IF;
    revision := head;
    RETURN NEXT;
  END LOOP;
  IF head > first_head THEN
    UPDATE ${s}.counter SET revision = head;
  END IF;
  -- Followers learn of new entries once the batch commits (NOTIFY is delivered at commit).
  IF notify THEN
    PERFORM pg_notify('${channelOf(s)}', head::text);
  END IF;
END
$fn$;
`;
}

/** Creates the schema's tables and function when missing (every server runs this at start). */
export async function migrate(pool: Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query("BEGIN");
    // One migration at a time per database: concurrent CREATE IF NOT EXISTS can still collide.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('anykv schema ' || $1))", [schema]);
    await client.query(schemaSql(schema));
    await client.query("COMMIT");
  } catch (err) {
    failed = err as Error;
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    // A connection that failed is not handed out again.
    client.release(failed);
  }
}
