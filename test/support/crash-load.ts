import {
  type AnykvStore,
  type BatchItem,
  createStore,
  type Protocol,
  type WriteConditions,
} from "../../src/client/index.js";
import { type ServerProcess, spawnServer } from "./cli-process.js";

/**
 * Crash durability: rounds of mixed concurrent writes against the real
 * server process (LevelDB, `--sync always`), each ended by SIGKILL, then a
 * restart on the same data directory and a check of every key against what
 * the writers were told. Each writer owns its keys and has one call in
 * flight at a time, so the expected state of every key is known exactly,
 * except for the one call per writer that the kill interrupted: its keys may
 * hold the state before it or after it, all of them the same (a batch is
 * never torn).
 */

/** A key's state as a writer knows it: its value and revision, or null when absent. */
type KeyState = { readonly value: string; readonly revision: number } | null;

/** A call the kill interrupted: the states before and after it, of each key it touched. */
interface Unsettled {
  readonly op: string;
  readonly before: ReadonlyMap<string, KeyState>;
  /** The value after the call (revision unknown), or null for a delete. */
  readonly after: ReadonlyMap<string, string | null>;
}

export interface CrashOptions {
  readonly rounds: number;
  /** Concurrent writers, each with its own connection. */
  readonly writers: number;
  /** Keys each writer owns. */
  readonly keysPerWriter: number;
  /** The kill comes after a random time in this range (ms), counted once `writers` calls were acknowledged. */
  readonly killAfterMs: readonly [number, number];
  readonly data: string;
  /** Called after each round with what it saw. */
  readonly onRound?: (round: RoundReport) => void;
}

export interface RoundReport {
  readonly round: number;
  /** Calls answered OK before the kill. */
  readonly acknowledged: number;
  /** Calls the kill interrupted (outcome unknown to the client). */
  readonly interrupted: number;
  /** Of those, how many turned out to be applied. */
  readonly appliedInterrupted: number;
  /** Mismatches: acknowledged writes lost or changed, torn batches, revisions gone back. Empty when durable. */
  readonly problems: readonly string[];
}

const PROTOCOLS: readonly Protocol[] = ["grpc", "connect"];
const revisionOf = (info: { revision: bigint | number } | undefined) => Number(info?.revision ?? 0);

/** Runs the rounds; returns one report per round (the caller asserts). */
export async function crashRounds(options: CrashOptions): Promise<RoundReport[]> {
  const keys = Array.from({ length: options.writers }, (_, w) =>
    Array.from({ length: options.keysPerWriter }, (_, k) => `w${w}/k${k}`),
  );
  const known = new Map<string, KeyState>(keys.flat().map((key) => [key, null]));
  let highest = 0;
  const reports: RoundReport[] = [];
  let server = await start(options.data);
  for (let round = 1; round <= options.rounds; round++) {
    const stats = { acknowledged: 0 };
    const unsettled: Unsettled[] = [];
    const problems: string[] = [];
    const killed = { now: false };
    const writers = keys.map((own, w) =>
      write(client(server, w), own, known, stats, unsettled, problems, killed, (r) => {
        highest = Math.max(highest, r);
      }),
    );
    // The kill comes under load: once every writer could have had a write acknowledged, then at a random time.
    for (let waited = 0; stats.acknowledged < options.writers && problems.length === 0; waited += 10) {
      if (waited > 30_000) throw new Error(`no load after 30 s: ${stats.acknowledged} calls acknowledged`);
      await sleep(10);
    }
    const [low, high] = options.killAfterMs;
    await sleep(low + Math.random() * (high - low));
    killed.now = true;
    await server.stop("SIGKILL");
    await Promise.all(writers);

    server = await start(options.data);
    const check = client(server, round);
    const found = await check.getMany([...known.keys()]);
    const seen = new Map<string, KeyState>(
      found.map((r) => [r.key, r.found ? { value: r.value as string, revision: revisionOf(r.info) } : null]),
    );
    let appliedInterrupted = 0;
    const pending = new Set(unsettled.flatMap((u) => [...u.after.keys()]));
    for (const [key, state] of known) {
      if (!pending.has(key) && !same(seen.get(key), state))
        problems.push(`${key}: acknowledged ${show(state)}, found ${show(seen.get(key))}`);
    }
    for (const u of unsettled) {
      const outcome = judge(u, seen);
      if (outcome === "torn")
        problems.push(`${u.op} torn: ${[...u.after.keys()].map((k) => `${k}=${show(seen.get(k))}`)}`);
      if (outcome === "after") appliedInterrupted++;
      // The next round starts from what is stored now.
      for (const key of u.after.keys()) known.set(key, seen.get(key) ?? null);
    }
    // The revision counter survived too: the next write is numbered after every acknowledged one.
    const next = revisionOf(await check.put("crash/probe", round));
    if (next <= highest) problems.push(`revision went back: ${next} after ${highest} was acknowledged`);
    highest = next;
    const report = {
      round,
      acknowledged: stats.acknowledged,
      interrupted: unsettled.length,
      appliedInterrupted,
      problems,
    };
    options.onRound?.(report);
    reports.push(report);
  }
  await server.stop("SIGTERM");
  return reports;
}

function start(data: string): Promise<ServerProcess> {
  return spawnServer(["--data", data, "--sync", "always", "--backend", "leveldb"]);
}

function client(server: ServerProcess, n: number): AnykvStore {
  return createStore({
    baseUrl: server.url,
    transport: PROTOCOLS[n % PROTOCOLS.length]!,
    namespace: "crash",
  });
}

/**
 * One writer: puts, conditional puts, deletes, batches and putMany over its
 * own keys, one call at a time, until a call fails after the kill.
 */
async function write(
  store: AnykvStore,
  own: readonly string[],
  known: Map<string, KeyState>,
  stats: { acknowledged: number },
  unsettled: Unsettled[],
  problems: string[],
  killed: { now: boolean },
  acknowledge: (revision: number) => void,
): Promise<void> {
  let seq = 0;
  const pick = (n: number) => {
    const start = Math.floor(Math.random() * own.length);
    return Array.from({ length: n }, (_, i) => own[(start + i) % own.length]!);
  };
  // Values of varied sizes (up to ~16 KB), so that a torn record would show.
  const value = (key: string) => `${key}#${seq++}:${"x".repeat(Math.floor(Math.random() ** 3 * 16_000))}`;
  const signal = () => AbortSignal.timeout(20_000);
  for (;;) {
    const kind = Math.floor(Math.random() * 5);
    const touched = kind === 3 || kind === 4 ? pick(3) : pick(1);
    const before = new Map(touched.map((key) => [key, known.get(key) ?? null]));
    const after = new Map<string, string | null>();
    let op: string;
    let call: () => Promise<Map<string, KeyState>>;
    const [key] = touched as [string];
    if (kind === 0) {
      op = `put ${key}`;
      const v = value(key);
      after.set(key, v);
      call = async () =>
        new Map([[key, { value: v, revision: revisionOf(await store.put(key, v, { signal: signal() })) }]]);
    } else if (kind === 1) {
      // Conditional on what this writer knows: it is the key's only writer, so it must hold.
      op = `conditional put ${key}`;
      const v = value(key);
      after.set(key, v);
      const condition = conditionOn(before.get(key));
      call = async () => {
        const info = await store.put(key, v, { ...condition, signal: signal() });
        return new Map([[key, { value: v, revision: revisionOf(info) }]]);
      };
    } else if (kind === 2) {
      op = `delete ${key}`;
      after.set(key, null);
      call = async () => {
        await store.delete(key, { signal: signal() });
        return new Map([[key, null]]);
      };
    } else if (kind === 3) {
      // An atomic batch: two puts (one conditional) and a delete, one revision.
      const [a, b, c] = touched as [string, string, string];
      op = `batch ${touched.join(",")}`;
      const [va, vb] = [value(a), value(b)];
      after.set(a, va).set(b, vb).set(c, null);
      const ops: BatchItem[] = [
        { type: "put", key: a, value: va },
        { type: "put", key: b, value: vb, ...conditionOn(before.get(b)) },
        { type: "delete", key: c },
      ];
      call = async () => {
        const result = await store.batch(ops, { signal: signal() });
        const revision = revisionOf(result);
        return new Map<string, KeyState>([
          [a, { value: va, revision }],
          [b, { value: vb, revision }],
          [c, null],
        ]);
      };
    } else {
      // putMany: each item its own write (not atomic together), each acknowledged with its revision.
      op = `putMany ${touched.join(",")}`;
      const items = touched.map((k) => ({ key: k, value: value(k) }));
      for (const item of items) after.set(item.key, item.value);
      call = async () => {
        const results = await store.putMany(items, { signal: signal() });
        const failed = results.find((r) => !r.stored);
        if (failed) throw new Error(`putMany item ${failed.key} not stored: ${String(failed.error)}`);
        return new Map(
          results.map((r, i) => [r.key, { value: items[i]!.value, revision: revisionOf(r.info) }]),
        );
      };
    }
    try {
      const states = await call();
      for (const [k, state] of states) known.set(k, state);
      for (const state of states.values()) if (state) acknowledge(state.revision);
      stats.acknowledged++;
      if (killed.now) return;
    } catch (err) {
      if (!killed.now) problems.push(`${op} failed before the kill: ${String(err)}`);
      unsettled.push({ op, before, after });
      return;
    }
  }
}

/** Whether an interrupted call left its keys as before, as after, or torn (some of each). */
function judge(u: Unsettled, seen: ReadonlyMap<string, KeyState>): "before" | "after" | "torn" {
  let isBefore = true;
  let isAfter = true;
  let revision: number | undefined;
  for (const [key, value] of u.after) {
    const found = seen.get(key) ?? null;
    if (!same(found, u.before.get(key) ?? null)) isBefore = false;
    if (value === null ? found !== null : found?.value !== value) isAfter = false;
    // Every put of one write carries one revision.
    if (found && value !== null && !u.op.startsWith("putMany")) {
      if (revision !== undefined && found.revision !== revision && isAfter) isAfter = false;
      revision = found.revision;
    }
  }
  if (isBefore) return "before";
  if (isAfter) return "after";
  // putMany is one write per item: each key on its own may be before or after.
  if (u.op.startsWith("putMany")) {
    const each = [...u.after].every(([key, value]) => {
      const found = seen.get(key) ?? null;
      return same(found, u.before.get(key) ?? null) || found?.value === value;
    });
    if (each) return "after";
  }
  return "torn";
}

/** The writer is its keys' only writer, so a condition on what it knows must hold. */
function conditionOn(state: KeyState | undefined): WriteConditions {
  return state ? { ifRevision: state.revision } : { ifAbsent: true };
}

function same(a: KeyState | undefined, b: KeyState | undefined): boolean {
  return (a ?? null) === null ? (b ?? null) === null : a?.value === b?.value && a?.revision === b?.revision;
}

function show(state: KeyState | undefined): string {
  return state ? `${state.value.slice(0, 24)}… @${state.revision}` : "absent";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
