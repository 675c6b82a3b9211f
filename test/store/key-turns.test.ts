import { describe, expect, it } from "vitest";
import type { WriteTicket } from "../../src/backend/backend.js";
import { createKeyTurns, type QueuedWrite } from "../../src/store/key-turns.js";

// A write that finishes when released, and says what ran when.
function deferred() {
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { done, release };
}

describe("key turns", () => {
  it("runs writes of other keys at once, and a write of several keys after each of theirs", async () => {
    const turns = createKeyTurns();
    const ran: string[] = [];
    const a = deferred();
    const b = deferred();
    const first = turns.run(["a"], async () => {
      ran.push("a");
      await a.done;
    });
    const second = turns.run(["b"], async () => {
      ran.push("b");
      await b.done;
    });
    const both = turns.run(["a", "b"], async () => {
      ran.push("a+b");
    });
    await Promise.resolve();
    expect(ran).toEqual(["a", "b"]);
    a.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(["a", "b"]); // still waits for "b"
    b.release();
    await Promise.all([second, both]);
    expect(ran).toEqual(["a", "b", "a+b"]);
  });

  it("lets the next write run after one that failed, and answers each its own result", async () => {
    const turns = createKeyTurns();
    const failed = turns.run(["k"], async () => {
      throw new Error("boom");
    });
    const next = turns.run(["k"], async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
    // Nothing is held once every write settled: a new write runs in the same turn of the loop.
    let ran = false;
    const later = turns.run(["k"], async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    await later;
  });
  it("starts the next write once the one ahead is queued, shows it what was queued, and sees through a cancelled one", async () => {
    const turns = createKeyTurns();
    const ticket: WriteTicket = { revision: undefined };
    const queuedA: QueuedWrite = { record: undefined, ticket };
    const a = deferred();
    const ran: string[] = [];
    let settledAhead = false;
    const first = turns.run(["k"], async (turn) => {
      ran.push("a");
      turn.queued((i) => (i === 0 ? queuedA : undefined));
      await a.done; // queued, not committed yet
    });
    const cancelled = turns.run(["k"], async (turn) => {
      ran.push("b");
      expect(turn.ahead(0)).toBe(queuedA);
      throw new Error("cancelled");
    });
    const third = turns.run(["k", "other"], async (turn) => {
      ran.push("c");
      // b settled without queuing anything: c builds on what a queued.
      expect(turn.ahead(0)).toBe(queuedA);
      expect(turn.ahead(1)).toBeUndefined(); // "other": nothing went ahead on it
      await turn.settled();
      settledAhead = true;
      // Once a has settled, its record is the committed one: nothing is ahead any more.
      expect(turn.ahead(0)).toBeUndefined();
    });
    await expect(cancelled).rejects.toThrow("cancelled");
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(["a", "b", "c"]);
    expect(settledAhead).toBe(false); // c waits in settled() for a
    a.release();
    await Promise.all([first, third]);
    expect(settledAhead).toBe(true);
  });
  it("shows each key the latest write queued on that key, through writes of several keys", async () => {
    const turns = createKeyTurns();
    const hold = deferred();
    const write = (name: string) => ({ record: undefined, ticket: { revision: undefined }, name });
    const u = write("u");
    const t = write("t");
    const v = write("v");
    // u writes a and b, t then writes a, v then writes b; s writes a and b after all three.
    const runs = [
      turns.run(["a", "b"], async (turn) => {
        turn.queued(() => u);
        await hold.done;
      }),
      turns.run(["a"], async (turn) => {
        turn.queued(() => t);
        await hold.done;
      }),
      turns.run(["b"], async (turn) => {
        turn.queued(() => v);
        await hold.done;
      }),
    ];
    const seen = await new Promise<unknown[]>((resolve) => {
      runs.push(turns.run(["a", "b"], async (turn) => resolve([turn.ahead(0), turn.ahead(1)])));
    });
    expect(seen).toEqual([t, v]);
    hold.release();
    await Promise.all(runs);
  });
});
