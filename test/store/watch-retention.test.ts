import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../src/store/store.js";
import { WatchHub } from "../../src/store/watch-hub.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const tick = () => new Promise((resolve) => setImmediate(resolve));

const event = (revision: number, key: string): ChangeEvent => ({
  type: "put",
  namespace: "",
  key,
  revision,
  entry: {
    key,
    namespace: "",
    value: new Uint8Array(32),
    meta: { codec: "raw", kind: "raw", model: "", contentType: "", createdAt: 0, updatedAt: 0, revision },
  },
});

describe("the watch ring's retention", () => {
  it("lets evicted events be collected at once, however large their writes were", async () => {
    const hub = new WatchHub(
      { events: 10, ageMs: 3_600_000, bytes: 1 << 30, watcherBytes: 1 << 30 },
      () => 0,
      Promise.resolve(0),
    );
    await hub.ready;
    // The test holds the first event only weakly, so the ring's reference is the only one.
    const ref = ((): WeakRef<object> => {
      const first = event(1, "first");
      hub.publish(1, [first]);
      return new WeakRef(first.entry);
    })();
    // Batches of 10 events each push the first write out of a ring of 10 events.
    for (let revision = 2; revision < 7; revision++) {
      hub.publish(
        revision,
        Array.from({ length: 10 }, (_, i) => event(revision, `k${i}`)),
      );
    }
    await tick();
    gc();
    await tick();
    expect(ref.deref()).toBeUndefined();
  });

  it("bounds the bytes it holds, counting each event's overhead and not only its value", () => {
    const hub = new WatchHub(
      { events: 1_000_000, ageMs: 3_600_000, bytes: 100_000, watcherBytes: 1 << 30 },
      () => 0,
      Promise.resolve(0),
    );
    for (let revision = 1; revision <= 1000; revision++) hub.publish(revision, [event(revision, "k")]);
    // 1000 small events hold far more than 100 kB of heap: the oldest are evicted (COMPACTED).
    const watching = hub.watch(1, "", "");
    return expect(
      (async () => {
        await watching.next();
      })(),
    ).rejects.toThrow(/older than the watch retention window/);
  });
});
