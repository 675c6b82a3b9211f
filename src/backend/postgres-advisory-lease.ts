import { performance } from "node:perf_hooks";
import pg from "pg";

/**
 * Leases held as PostgreSQL advisory locks (docs/architecture.md, "PostgreSQL"): each lease name
 * has a connection of its own, apart from the pool. Taking the lease opens a transaction on it,
 * sets `idle_in_transaction_session_timeout` to the lease's ttl and takes
 * `pg_try_advisory_xact_lock(hashtextextended('anykv:SCHEMA:NAME', 0))`; renewing it runs a
 * statement in that transaction (which restarts PostgreSQL's idle timer); releasing it rolls the
 * transaction back. So the engine enforces the expiry: a holder that stops renewing (a hung
 * process) has its session ended by PostgreSQL after the ttl, which releases the lock, and a
 * process that dies releases it as its connection drops.
 *
 * The lock belongs to the session, and the contract's holder to the caller: this handle keeps
 * the holder. Another holder on the same handle is refused until the holder's ttl has passed,
 * then takes the lock over (or takes it afresh when the engine already ended the session).
 * Every statement here goes through the simple query protocol (no parameters): an extended
 * protocol statement leaves its snapshot registered while the transaction idles, which would
 * hold back vacuum's horizon for as long as the lease is held.
 */
export interface AdvisoryLeases {
  /** As Backend.lease; engine errors are thrown as they are (the backend maps them). */
  lease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** As Backend.releaseLease. */
  release(name: string, holder: string): Promise<void>;
  /** Ends every lease connection, which releases the locks they hold. */
  close(): Promise<void>;
}

/** The longest a lease statement may take before its connection is given up as lost. */
const STATEMENT_MS = 10_000;
/** idle_in_transaction_session_timeout is an int of ms. */
const MAX_TTL_MS = 2 ** 31 - 1;

interface Session {
  client: pg.Client | undefined;
  /** Who holds the lease while this session's transaction holds the lock. */
  holder: string | undefined;
  /** When the holder's ttl runs out, on this process's monotonic clock. */
  until: number;
  /** Calls on one name run one at a time. */
  queue: Promise<unknown>;
}

export function createAdvisoryLeases(config: pg.ClientConfig, schema: string): AdvisoryLeases {
  const sessions = new Map<string, Session>();
  let closed = false;

  const sessionOf = (name: string): Session => {
    let session = sessions.get(name);
    if (!session) {
      session = { client: undefined, holder: undefined, until: 0, queue: Promise.resolve() };
      sessions.set(name, session);
    }
    return session;
  };

  const serialized = <T>(name: string, op: (session: Session) => Promise<T>): Promise<T> => {
    const session = sessionOf(name);
    const result = session.queue.then(() => op(session));
    session.queue = result.catch(() => undefined);
    return result;
  };

  /** Forgets a session's connection (and with it the lock, which the engine releases when it ends). */
  const drop = (session: Session, client: pg.Client) => {
    if (session.client !== client) return;
    session.client = undefined;
    session.holder = undefined;
    client.end().catch(() => {});
  };

  const connect = async (session: Session): Promise<pg.Client> => {
    const client = new pg.Client(config);
    // The engine ending the session (the lease's idle timeout, a restart) arrives as an error
    // event between calls; the next call then finds no connection and opens another.
    client.on("error", () => drop(session, client));
    client.on("end", () => drop(session, client));
    try {
      await client.connect();
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await client.end().catch(() => {});
      throw new Error("Connection terminated: the backend is closed");
    }
    session.client = client;
    return client;
  };

  /** One simple-protocol query; a connection that fails or does not answer in time is dropped. */
  const query = async (session: Session, client: pg.Client, text: string): Promise<pg.QueryResult[]> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("Connection timed out: a lease statement got no answer")),
        STATEMENT_MS,
      );
    });
    try {
      const result = await Promise.race([client.query(text), late]);
      return Array.isArray(result) ? result : [result];
    } catch (err) {
      drop(session, client);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  const lockKey = (name: string) => `hashtextextended(${pg.escapeLiteral(`anykv:${schema}:${name}`)}, 0)`;
  const idleTimeout = (ttlMs: number) =>
    `SET LOCAL idle_in_transaction_session_timeout = ${Math.min(Math.ceil(ttlMs), MAX_TTL_MS)}`;

  /** Renews the lock this session's transaction holds; false when the engine ended the session. */
  const renew = async (session: Session, ttlMs: number): Promise<boolean> => {
    const client = session.client;
    if (!client) return false;
    try {
      await query(session, client, idleTimeout(ttlMs));
      return true;
    } catch {
      return false;
    }
  };

  /** Tries to take the lock in a new transaction; false (and no transaction) while another session holds it. */
  const take = async (session: Session, name: string, ttlMs: number): Promise<boolean> => {
    // A connection opened earlier may have died unnoticed (the engine restarted): then once more on a new one.
    for (let attempt = 0; ; attempt++) {
      const opened = session.client;
      const client = opened ?? (await connect(session));
      try {
        const results = await query(
          session,
          client,
          `BEGIN; ${idleTimeout(ttlMs)}; SELECT pg_try_advisory_xact_lock(${lockKey(name)}) AS locked`,
        );
        if (results.at(-1)?.rows[0]?.locked === true) return true;
        await query(session, client, "ROLLBACK");
        return false;
      } catch (err) {
        if (opened === undefined || attempt > 0) throw err;
      }
    }
  };

  return {
    lease: (name, holder, ttlMs) =>
      serialized(name, async (session) => {
        const now = performance.now();
        if (session.holder !== undefined && session.holder !== holder && now < session.until) return false;
        let held = session.holder !== undefined && (await renew(session, ttlMs));
        held ||= await take(session, name, ttlMs);
        // The engine may have ended the session while the answer was on its way.
        held &&= session.client !== undefined;
        // The ttl counts from the renewal's answer, after the engine's idle timer started.
        session.holder = held ? holder : undefined;
        session.until = held ? performance.now() + ttlMs : 0;
        return held;
      }),
    release: (name, holder) =>
      serialized(name, async (session) => {
        const client = session.client;
        if (session.holder !== holder || !client) return;
        session.holder = undefined;
        // A session the engine already ended holds nothing: the failed ROLLBACK drops it.
        await query(session, client, "ROLLBACK").catch(() => undefined);
      }),
    async close() {
      closed = true;
      await Promise.all(
        [...sessions.values()].map(async (session) => {
          await session.queue;
          const client = session.client;
          if (!client) return;
          // The lock goes with the transaction, before the connection ends: whoever asks once
          // close() has returned gets it (the engine frees a closed session's locks only later).
          if (session.holder !== undefined) await query(session, client, "ROLLBACK").catch(() => undefined);
          session.client = undefined;
          session.holder = undefined;
          await client.end().catch(() => undefined);
        }),
      );
      sessions.clear();
    },
  };
}
