import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, UPLOAD_LEASE_PREFIX } from "../../src/backend/backend.js";
import { openPostgresBackend } from "../../src/backend/postgres-backend.js";
import { freshSchema, testPostgresUrl } from "../support/postgres-server.js";

/** The sessions (pid, state, vacuum horizon) holding the advisory lock of lease `name` in `schema`. */
async function lockHolders(admin: pg.Client, schema: string, name: string) {
  const { rows } = await admin.query<{ pid: number; state: string; backend_xmin: string | null }>(
    // A bigint advisory key shows in pg_locks as classid (high half), objid (low half), objsubid 1.
    `SELECT l.pid, a.state, a.backend_xmin
       FROM (SELECT hashtextextended($1, 0) AS k) key
       JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295
       JOIN pg_stat_activity a ON a.pid = l.pid`,
    [`anykv:${schema}:${name}`],
  );
  return rows;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const HOLDER = resolve(import.meta.dirname, "../support/lease-holder.mjs");
const children: ChildProcess[] = [];

/** Another process (test/support/lease-holder.mjs) that takes lease `name` and renews it; its output lines. */
async function holderProcess(url: string, name: string, ttlMs: number, renewMs: number) {
  const child = spawn(process.execPath, [HOLDER, url, name, String(ttlMs), String(renewMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
  await expect.poll(() => lines, { timeout: 15_000 }).toContain("held");
  return { child, lines };
}

describe("postgres backend: leases are advisory locks held on a session of their own", () => {
  let admin: pg.Client;
  const opened: Backend[] = [];
  const open = async (schema: string) => {
    const backend = await openPostgresBackend({ url: `${testPostgresUrl()}?schema=${schema}` });
    opened.push(backend);
    return backend;
  };
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: testPostgresUrl() });
    await admin.connect();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    for (const backend of opened) await backend.close();
    await admin?.end();
  });

  it("holds the lease as an advisory lock in pg_locks, and a killed holder's session frees it at once", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const name = "anykv:maintenance";
    expect(await a.lease(name, "a", 60_000)).toBe(true);
    const holders = await lockHolders(admin, schema, name);
    expect(holders).toHaveLength(1);
    // An idle transaction that holds no snapshot: it does not hold vacuum back while it holds the lease.
    expect(holders[0]).toMatchObject({ state: "idle in transaction", backend_xmin: null });
    expect(await b.lease(name, "b", 60_000)).toBe(false);
    // The same name in another schema (another data set on the database) is another lock.
    const other = await open(freshSchema());
    expect(await other.lease(name, "c", 60_000)).toBe(true);

    // The holder's session ends (its process died, its connection dropped): the lock is free
    // long before the 60 s ttl, and the old holder learns it lost the lease.
    await admin.query("SELECT pg_terminate_backend($1)", [holders[0]!.pid]);
    await expect.poll(() => b.lease(name, "b", 60_000), { timeout: 5000, interval: 50 }).toBe(true);
    expect(await a.lease(name, "a", 60_000)).toBe(false);
    const now = await lockHolders(admin, schema, name);
    expect(now.map((h) => h.pid)).not.toContain(holders[0]!.pid);
    expect(now).toHaveLength(1);
  });

  it("keeps the lease while it is renewed, and the engine ends it a ttl after the holder stops renewing", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const name = `lease-${randomUUID()}`;
    // Long enough that a loaded machine's slow turn between two renewals does not lose it.
    const ttlMs = 1000;
    expect(await a.lease(name, "a", ttlMs)).toBe(true);
    const [holder] = await lockHolders(admin, schema, name);
    // Renewed every 100 ms for longer than a ttl: it stays a's, on the same session.
    let renewing = 0;
    for (let i = 0; i < 15; i++) {
      await sleep(100);
      // PostgreSQL's idle timer restarts when the renewal runs, which is after this moment.
      renewing = Date.now();
      expect(await a.lease(name, "a", ttlMs)).toBe(true);
      expect(await b.lease(name, "b", ttlMs)).toBe(false);
    }
    expect((await lockHolders(admin, schema, name)).map((h) => h.pid)).toEqual([holder!.pid]);
    // a stops renewing (a hung process does the same): PostgreSQL ends its session a ttl after the
    // last renewal, not before (the queries since then may have taken a loaded machine a while).
    await expect.poll(() => b.lease(name, "b", 60_000), { timeout: 5000, interval: 50 }).toBe(true);
    expect(Date.now() - renewing).toBeGreaterThanOrEqual(ttlMs - 50);
    const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [holder!.pid]);
    expect(rows).toEqual([]);
    // a does not believe it still holds the lease.
    expect(await a.lease(name, "a", ttlMs)).toBe(false);
  });

  it("frees the lease of a process killed with -9 at once, not after its ttl", async () => {
    const schema = freshSchema();
    const b = await open(schema);
    const name = "anykv:maintenance";
    const { child } = await holderProcess(`${testPostgresUrl()}?schema=${schema}`, name, 60_000, 1000);
    expect(await b.lease(name, "b", 60_000)).toBe(false);
    child.kill("SIGKILL");
    // Its connection drops with it, and the engine releases the lock then: far within the 60 s ttl.
    await expect.poll(() => b.lease(name, "b", 60_000), { timeout: 5000, interval: 50 }).toBe(true);
  });

  it("takes the lease from a hung (stopped) process after its ttl, and the process, once resumed, knows it lost it", async () => {
    const schema = freshSchema();
    const b = await open(schema);
    const name = "anykv:maintenance";
    const [ttlMs, renewMs] = [1500, 100];
    const { child, lines } = await holderProcess(
      `${testPostgresUrl()}?schema=${schema}`,
      name,
      ttlMs,
      renewMs,
    );
    await expect.poll(() => lines, { timeout: 5000 }).toContain("renewed");
    child.kill("SIGSTOP");
    const stopped = Date.now();
    const seen = lines.length;
    // Stopped, it renews nothing; PostgreSQL ends its session one ttl after its last renewal.
    expect(await b.lease(name, "b", 60_000)).toBe(false);
    await expect.poll(() => b.lease(name, "b", 60_000), { timeout: 5000, interval: 50 }).toBe(true);
    // Its last renewal came at most a renewal interval before the stop, or a little more when a
    // loaded machine delayed its timer: the lease outlived the stop by about a ttl.
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(ttlMs - 3 * renewMs);
    child.kill("SIGCONT");
    await expect.poll(() => lines.slice(seen), { timeout: 5000 }).toContain("lost");
    await sleep(3 * renewMs);
    const after = lines.slice(seen);
    // At most one renewal answered before the stop prints after it; from its first renewal
    // after the resume on, it knows the lease is b's.
    expect(after.indexOf("lost")).toBeLessThanOrEqual(1);
    expect(after.slice(after.indexOf("lost"))).toEqual(after.slice(after.indexOf("lost")).map(() => "lost"));
  });

  it("hands the lease over at once on release and on close", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const name = `lease-${randomUUID()}`;
    expect(await a.lease(name, "a", 60_000)).toBe(true);
    await a.releaseLease(name, "a");
    expect(await lockHolders(admin, schema, name)).toEqual([]);
    expect(await b.lease(name, "b", 60_000)).toBe(true);
    await b.close();
    expect(await a.lease(name, "a", 60_000)).toBe(true);
  });

  it("keeps upload leases as rows: many at once cost no connection each", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    // The lease sessions of this schema (the only ones with its name).
    const connections = async () =>
      Number(
        (
          await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [
            `anykv lease ${schema}`,
          ])
        ).rows[0].n,
      );
    expect(await a.lease("anykv:maintenance", "a", 60_000)).toBe(true);
    expect(await connections()).toBe(1);
    const names = Array.from({ length: 50 }, () => `${UPLOAD_LEASE_PREFIX}${randomUUID()}`);
    const taken = await Promise.all(names.map((name) => a.lease(name, "a", 60_000)));
    expect(taken.every(Boolean)).toBe(true);
    expect(await b.lease(names[0]!, "b", 60_000)).toBe(false);
    expect(await connections()).toBe(1);
    const { rows } = await admin.query(`SELECT count(*) AS n FROM ${schema}.leases`);
    expect(Number(rows[0].n)).toBe(50);
    expect(await lockHolders(admin, schema, names[0]!)).toEqual([]);
  });
});
