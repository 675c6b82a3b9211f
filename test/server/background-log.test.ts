import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { AnykvError } from "../../src/errors.js";
import { createBackgroundReports } from "../../src/server/observe/background-log.js";
import { countBackendErrors } from "../../src/server/observe/counted-backend.js";
import { createMetrics } from "../../src/server/observe/metrics.js";
import { backoffMs } from "../../src/store/background-tasks.js";
import { Store } from "../../src/store/store.js";
import { captureLogs, LEVEL, type LogLine } from "../support/log-capture.js";
import { textInput } from "../support/store-fixtures.js";
import { until } from "../support/until.js";

/** A memory backend that can be taken down: every read and write is then UNAVAILABLE. */
function switchableBackend(): { backend: Backend; down: boolean } {
  const inner = createMemoryBackend();
  const state = { down: true, backend: inner };
  const fail = () => new AnykvError("UNAVAILABLE", "the engine is down (test)");
  state.backend = {
    ...inner,
    capabilities: inner.capabilities,
    get: (key) => (state.down ? Promise.reject(fail()) : inner.get(key)),
    getMany: (keys) => (state.down ? Promise.reject(fail()) : inner.getMany(keys)),
    write: (...args) => (state.down ? Promise.reject(fail()) : inner.write(...args)),
    scan(range) {
      if (!state.down) return inner.scan(range);
      return {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(fail()) }),
      };
    },
    scanKeys: (range) => inner.scanKeys(range),
    changes(after, options) {
      const pages = inner.changes(after, options);
      return {
        async *[Symbol.asyncIterator]() {
          for await (const page of pages) {
            if (state.down) throw fail();
            yield page;
          }
        },
      };
    },
    close: () => inner.close(),
  };
  return state;
}

describe("background tasks of a server's store", () => {
  it("log each failure with its attempt and wait, retry with backoff, and log the recovery", async () => {
    const logs = captureLogs("debug");
    const metrics = createMetrics();
    const engine = switchableBackend();
    const backend = countBackendErrors(engine.backend, (op) => metrics.backendError(op));
    const store = new Store(backend, {
      sweepIntervalMs: 20,
      reports: createBackgroundReports(logs.logger, metrics),
    });
    try {
      const failures = () => logs.errors().filter((l: LogLine) => l.task === "recovery");
      // The recovery after a start fails while the backend is down, and is tried again, not left until restart.
      await until("three failed recoveries", () => failures().length >= 3);
      const [first, second, third] = failures();
      expect(first).toMatchObject({
        level: LEVEL.error,
        task: "recovery",
        attempt: 1,
        err: { message: /engine is down/ },
      });
      expect(second).toMatchObject({ attempt: 2 });
      expect(third).toMatchObject({ attempt: 3 });
      // Waits double (±20% jitter): 20, 40, 80 ms.
      expect(first!.retryInMs).toBeGreaterThanOrEqual(16);
      expect(first!.retryInMs).toBeLessThanOrEqual(24);
      expect(third!.retryInMs).toBeGreaterThanOrEqual(64);
      expect(third!.retryInMs).toBeLessThanOrEqual(96);
      engine.down = false;
      await until("the recovery", () =>
        logs.lines().some((l) => l.task === "recovery" && l.level === LEVEL.info),
      );
      const recovered = logs.lines().find((l) => l.task === "recovery" && l.level === LEVEL.info);
      expect(recovered!.failures).toBeGreaterThanOrEqual(3);

      // Sweeps run after it: a key whose TTL passes is removed, and counted.
      await store.put("", "soon", textInput("v"), { ttlMs: 30 });
      await until("the sweep", () => logs.lines().some((l) => l.expired === 1));
      // A failed sweep is reported too, and retried.
      engine.down = true;
      await until("a failed sweep", () => logs.errors().some((l) => l.task === "expiry sweep"));
      engine.down = false;
      await until("the sweep again", () =>
        logs.lines().some((l) => l.task === "expiry sweep" && l.level === LEVEL.info),
      );
      const text = await metrics.text();
      const recoveries = Number(/^anykv_background_failures_total\{task="recovery"\} (\d+)/m.exec(text)?.[1]);
      expect(recoveries).toBe(recovered!.failures);
      expect(text).toMatch(/^anykv_background_failures_total\{task="expiry sweep"\} [1-9]/m);
      expect(text).toMatch(/^anykv_expired_keys_total 1$/m);
      expect(text).toMatch(/^anykv_backend_errors_total\{operation="scan"\} [1-9]/m);
    } finally {
      await store.close();
    }
  });

  it("log a watch feed that fails; its watches end UNAVAILABLE", async () => {
    const logs = captureLogs("debug");
    const metrics = createMetrics();
    const engine = switchableBackend();
    engine.down = false;
    const store = new Store(engine.backend, {
      sweepIntervalMs: 0,
      reports: createBackgroundReports(logs.logger, metrics),
    });
    try {
      const watch = store.watch("", {})[Symbol.asyncIterator]();
      await watch.next(); // the watch is in place: the tail follows the log
      engine.down = true;
      await expect(watch.next()).rejects.toMatchObject({ code: "UNAVAILABLE" });
      await until("the feed's failure line", () => logs.errors().some((l) => l.task === "watch feed"));
      expect(logs.errors().find((l) => l.task === "watch feed")).toMatchObject({
        level: LEVEL.error,
        err: { message: /engine is down/ },
        msg: "watch feed failed; retrying when next needed",
      });
      expect(await metrics.text()).toMatch(/^anykv_background_failures_total\{task="watch feed"\} 1$/m);
    } finally {
      engine.down = false;
      await store.close();
    }
  });

  it("back off by doubling up to a ceiling, with jitter", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const wait = backoffMs(attempt, 1000, 60_000);
      const nominal = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      expect(wait).toBeGreaterThanOrEqual(nominal * 0.8);
      expect(wait).toBeLessThanOrEqual(nominal * 1.2);
    }
  });
});
