import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore, type WatchEvent } from "../../src/client/index.js";
import { uniqueKey } from "../support/server.js";
import { type ServerGroup, startServerGroup } from "../support/server-group.js";

/** How the suite reaches a shared engine: a `--backend` URL of an empty store, used by every server. */
export interface SharedBackendSetup {
  /** Shown in the test names ("three servers on redis"). */
  readonly name: string;
  /** The `--backend` value (a fresh, empty store), asked for once, in the suite's beforeAll. */
  backendUrl(): Promise<string>;
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok" as const,
    (err: unknown) => (err instanceof ConnectError ? Code[err.code] : String(err)),
  );

/** A revision from which a watch sees exactly the writes made after this call (a write elsewhere's, + 1). */
async function nextRevision(store: AnykvStore): Promise<bigint> {
  const mark = await store.put(uniqueKey("mark"), 0);
  return mark!.revision + 1n;
}

/** The next `count` events of a watch (fails the test after 15 s). */
async function take(events: AsyncIterator<WatchEvent>, count: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const deadline = Date.now() + 15_000;
  while (out.length < count) {
    const next = await Promise.race([
      events.next(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`watch: ${out.length} of ${count} events in 15 s`)),
          deadline - Date.now(),
        ),
      ),
    ]);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

/**
 * Issue #10 item 6: three real `anykv serve` processes on one shared backend (the built CLI,
 * test/support/server-group.ts), checked through the client as users would see them.
 */
export function multiServerSuite(setup: SharedBackendSetup): void {
  describe(`three anykv servers on one ${setup.name}`, () => {
    let group: ServerGroup;
    const stores: AnykvStore[] = [];
    const store = (i: number) => stores[i]!;
    beforeAll(async () => {
      group = await startServerGroup(3, ["--backend", await setup.backendUrl()]);
      for (let i = 0; i < 3; i++) stores.push(createStore({ baseUrl: group.url(i) }));
    }, 180_000);
    afterAll(async () => {
      await group?.stop();
    });

    it("lets exactly one if_absent put win when the three race", async () => {
      const key = uniqueKey("absent");
      const attempts = Array.from({ length: 30 }, (_, i) =>
        codeOf(store(i % 3).put(key, `writer ${i}`, { ifAbsent: true })),
      );
      const results = await Promise.all(attempts);
      expect(results.filter((r) => r === "ok")).toHaveLength(1);
      expect(results.filter((r) => r !== "ok").every((r) => r === "Aborted")).toBe(true);
      const winner = results.indexOf("ok");
      for (let i = 0; i < 3; i++) expect(await store(i).get(key)).toBe(`writer ${winner}`);
    });

    it("loses no if_revision increment made from all three servers", async () => {
      const key = uniqueKey("counter");
      await store(0).put(key, 0);
      const perServer = 15;
      const increment = async (s: AnykvStore) => {
        for (let done = 0; done < perServer; ) {
          const info = await s.info(key);
          const value = await s.get<number>(key);
          const result = await codeOf(s.put(key, value + 1, { ifRevision: info.revision }));
          if (result === "ok") done++;
          else expect(result).toBe("Aborted");
        }
      };
      await Promise.all([0, 1, 2].map((i) => increment(store(i))));
      for (let i = 0; i < 3; i++) expect(await store(i).get(key)).toBe(3 * perServer);
    });

    it("shows a Watch on A the writes made through B", async () => {
      const prefix = uniqueKey("watch-ab");
      const abort = new AbortController();
      const startRevision = await nextRevision(store(1));
      const events = store(0).watch({ prefix, startRevision, signal: abort.signal })[Symbol.asyncIterator]();
      const first = take(events, 3);
      await store(1).put(`${prefix}/1`, 1);
      await store(2).put(`${prefix}/2`, 2);
      await store(1).delete(`${prefix}/1`);
      const seen = await first;
      abort.abort();
      expect(seen.map((e) => [e.type, e.key])).toEqual([
        ["put", `${prefix}/1`],
        ["put", `${prefix}/2`],
        ["delete", `${prefix}/1`],
      ]);
    });

    it("expires a TTL key once, with one expire event, whichever server sweeps", async () => {
      const prefix = uniqueKey("ttl");
      const aborts = [0, 1, 2].map(() => new AbortController());
      const startRevision = await nextRevision(store(0));
      const watches = [0, 1, 2].map((i) =>
        store(i).watch({ prefix, startRevision, signal: aborts[i]!.signal })[Symbol.asyncIterator](),
      );
      const firsts = watches.map((w) => take(w, 2));
      await store(0).put(`${prefix}/soon`, "gone soon", { ttl: 0.5 });
      const seen = await Promise.all(firsts);
      for (const events of seen) expect(events.map((e) => e.type)).toEqual(["put", "expire"]);
      // Every server saw the same one expiry (one revision), and nothing else follows it.
      expect(new Set(seen.map((events) => events[1]!.revision)).size).toBe(1);
      const after = await Promise.race([
        watches[0]!.next().then(() => "another event"),
        new Promise((r) => setTimeout(() => r("quiet"), 1500)),
      ]);
      expect(after).toBe("quiet");
      for (const a of aborts) a.abort();
      for (let i = 0; i < 3; i++) expect(await store(i).exists(`${prefix}/soon`)).toBe(false);
    });

    it("shows B a model registered, replaced and deleted on A (within its reload interval)", async () => {
      const name = `e2e.Thing${Date.now()}`;
      const key = uniqueKey("model");
      // What B answers for a value with only "a", and one with only "b", under the model.
      const onB = async () =>
        `${await codeOf(store(1).put(key, { a: 1 }, { model: name }))} ${await codeOf(store(1).put(key, { b: 1 }, { model: name }))}`;
      const seen = { timeout: 5000, interval: 100 };
      await store(0).models.registerJsonSchema(name, { type: "object", required: ["a"] });
      await expect.poll(onB, seen).toBe("ok InvalidArgument");
      expect((await store(1).models.list()).map((m) => m.name)).toContain(name);
      await store(0).models.registerJsonSchema(name, { type: "object", required: ["b"] }, { replace: true });
      await expect.poll(onB, seen).toBe("InvalidArgument ok");
      await store(0).models.delete(name);
      await expect.poll(onB, seen).toBe("NotFound NotFound");
      expect((await store(1).models.list()).map((m) => m.name)).not.toContain(name);
    });

    it("downloads from B an upload committed on A", async () => {
      const key = uniqueKey("upload");
      const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) % 251);
      await store(0).upload(key, bytes);
      const parts: Uint8Array[] = [];
      for await (const part of store(1).download(key)) parts.push(part);
      expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    });

    it("resumes a Watch on C after A is killed, with no event lost or repeated", {
      timeout: 90_000,
    }, async () => {
      const prefix = uniqueKey("resume");
      const abort = new AbortController();
      const startRevision = await nextRevision(store(1));
      const onA = store(0).watch({ prefix, startRevision, signal: abort.signal })[Symbol.asyncIterator]();
      const firstTwo = take(onA, 2);
      await store(1).put(`${prefix}/1`, 1);
      await store(1).put(`${prefix}/2`, 2);
      const before = await firstTwo;
      await group.kill(0);
      abort.abort();
      // Writes while the watcher has no server.
      for (let i = 3; i <= 5; i++) await store(1).put(`${prefix}/${i}`, i);
      const resumeAt = before[1]!.revision + 1n;
      const onC = store(2).watch({ prefix, startRevision: resumeAt })[Symbol.asyncIterator]();
      const resumed = await take(onC, 3);
      await store(2).put(`${prefix}/6`, 6);
      resumed.push(...(await take(onC, 1)));
      await onC.return?.();
      const keys = [...before, ...resumed].map((e) => e.key);
      expect(keys).toEqual([1, 2, 3, 4, 5, 6].map((i) => `${prefix}/${i}`));
      stores[0] = createStore({ baseUrl: await group.restart(0) });
    });

    it("keeps serving on the others when one is killed -9 mid-writes, losing no acknowledged write", {
      timeout: 90_000,
    }, async () => {
      const prefix = uniqueKey("kill");
      const acked: string[] = [];
      let stop = false;
      const writer = async (i: number) => {
        for (let n = 0; !stop; n++) {
          const key = `${prefix}/${i}/${n}`;
          const result = await codeOf(store(i).put(key, n));
          if (result === "ok") acked.push(key);
          else if (i !== 0) throw new Error(`a put through server ${i} failed: ${result}`);
          else return; // server 0 is the one killed: its calls fail from then on
        }
      };
      const writers = [0, 1, 2].map(writer);
      // Every server has acknowledged writes before one of them dies.
      const ackedBy = (i: number) => acked.filter((k) => k.startsWith(`${prefix}/${i}/`)).length;
      await expect
        .poll(() => Math.min(ackedBy(0), ackedBy(1), ackedBy(2)), { timeout: 15_000 })
        .toBeGreaterThan(5);
      await group.kill(0);
      const afterKill = ackedBy(1) + ackedBy(2);
      await new Promise((r) => setTimeout(r, 500));
      stop = true;
      await Promise.all(writers);
      // The others went on writing after the kill.
      expect(ackedBy(1) + ackedBy(2)).toBeGreaterThan(afterKill);
      const listed = new Set<string>();
      for await (const key of store(1).keys({ prefix })) listed.add(key);
      for (const key of acked) expect(listed.has(key), key).toBe(true);
      stores[0] = createStore({ baseUrl: await group.restart(0) });
      for (const key of acked.slice(0, 20)) expect(await store(0).exists(key)).toBe(true);
    });
  });
}
