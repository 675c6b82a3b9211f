import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";
import { run } from "../support/tools.js";

// A Python program on stubs that grpcio-tools generates from proto/ at test time.
let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
  const gen = await run("bash", ["scripts/gen-python.sh", "test/python/gen"]);
  expect(gen.stderr).toBe("");
  expect(gen.code).toBe(0);
});

describe("Python client on generated stubs", () => {
  it("puts and gets text, json and raw, streams ListKeys, and reads each error's reason and details", async () => {
    const namespace = `python-${Date.now()}`;
    const result = await run("python3", [
      "test/python/stub_client.py",
      `127.0.0.1:${server.port}`,
      namespace,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout);
    expect(seen.text).toBe("grüße");
    expect(seen.json).toEqual({ a: [1, 2.5, "x"], ok: true, none: null });
    expect(seen.raw).toEqual([0, 1, 2, 255, 254]);
    expect(seen.keys).toEqual(["py/json", "py/raw", "py/text"]);
    expect(seen.not_found[0]).toBe("NOT_FOUND");
    expect(seen.not_found[1]).toContain('key "py/missing" does not exist');
    expect(seen.not_found[2]).toBe("NOT_FOUND");
    expect(seen.invalid_argument[0]).toBe("INVALID_ARGUMENT");
    expect(seen.invalid_argument[2]).toBe("INVALID_KEY");
    expect(seen.bad_request).toEqual(["INVALID_ARGUMENT", [["key", "must be at least 1 characters"]]]);
    expect(seen.conflict[0]).toBe("CONFLICT");
    expect(seen.conflict[1]).toMatchObject({ key: "py/text", namespace, precondition: "absent" });
    expect(seen.conflict[2]).toEqual([["ABSENT", "py/text"]]);
    expect(seen.item_error).toEqual([true, "CONFLICT"]);

    // What Python stored, the Node client reads with the same types.
    const store = createStore({ baseUrl: server.url, namespace });
    expect(await store.get("py/text")).toBe("grüße");
    expect(await store.get("py/json")).toEqual({ a: [1, 2.5, "x"], ok: true, none: null });
    expect(await store.get("py/raw")).toEqual(new Uint8Array([0, 1, 2, 255, 254]));
  });
});
