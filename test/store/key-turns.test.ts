import { describe, expect, it } from "vitest";
import { createKeyTurns } from "../../src/store/key-turns.js";

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
});
