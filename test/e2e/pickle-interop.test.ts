import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { type AnykvStore, createStore, PyDate, PyTimedelta } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";
import { run } from "../support/tools.js";

let server: RunningServer;
let store: AnykvStore;
let stubs: string;
const namespace = `pickle-${Date.now()}`;

const python = async (command: "write" | "check") => {
  const result = await run("python3", [
    "test/python/pickle_interop.py",
    command,
    `127.0.0.1:${server.port}`,
    namespace,
    stubs,
  ]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};

beforeAll(async () => {
  server = await startTestServer();
  store = createStore({ baseUrl: server.url, namespace });
  stubs = tempDir("anykv-py-stubs-");
  const gen = await run("bash", ["scripts/gen-python.sh", stubs]);
  expect(gen.code).toBe(0);
});

/** PY_TREE of pickle_interop.py, as JavaScript values. */
const pyTreeInJs = {
  when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
  pair: [1, "two"],
  blob: new Uint8Array([0, 255]),
  big: 2n ** 70n,
  tags: new Set(["a", "b"]),
  ints: new Map([
    [1, "one"],
    [2, "two"],
  ]),
  day: new PyDate(2024, 2, 29),
  span: new PyTimedelta(-1, 5, 0),
};

describe("pickles between CPython and anykv", () => {
  it("reads what CPython's pickle (protocols 0-5) and cloudpickle write, as the matching JS values", async () => {
    await python("write");
    for (const protocol of [0, 1, 2, 3, 4, 5]) {
      const tree = await store.get<Record<string, unknown>>(`py/tree/${protocol}`, { mode: "pickle" });
      expect(tree, `protocol ${protocol}`).toEqual(pyTreeInJs);
      // Sets have no order in Python; compare their members.
      expect([...(tree.tags as Set<string>)].sort()).toEqual(["a", "b"]);
    }
    expect(await store.get("py/cloudpickle-tree", { mode: "pickle" })).toEqual(pyTreeInJs);
  });

  it("refuses a cloudpickled lambda in pickle mode, naming the global, and still returns its bytes in auto mode", async () => {
    const err = await store.get("py/lambda", { mode: "pickle" }).catch((e: unknown) => e as ConnectError);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((err as ConnectError).rawMessage).toMatch(
      /pickle refers to cloudpickle\.cloudpickle\.\w+.*, which anykv does not load/,
    );
    expect(await store.get("py/lambda")).toBeInstanceOf(Uint8Array);
  });

  it("writes pickles CPython loads to the equal value, keeping tuples tuples", async () => {
    await store.put(
      "node/tree",
      {
        map: new Map<unknown, unknown>([
          [1, "one"],
          ["s", new Set([1, 2])],
        ]),
        big: -(2n ** 70n),
        when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
        bytes: new Uint8Array([1, 2]),
        list: [1, 2.5, null, true],
        nan: Number.NaN,
      },
      { mode: "pickle" },
    );
    const tuple = await store.get<number[]>("py/tuple", { mode: "pickle" });
    expect(tuple).toEqual([1, 2, 3]);
    await store.put("node/tuple-back", tuple, { mode: "pickle" });
    await store.touch("node/touched");
    expect(await python("check")).toMatchObject({ node_tree: true, tuple_back: true });
  });
});

describe("exact round trips through the typed client in auto mode", () => {
  const cases: [string, unknown, string][] = [
    [
      "a Map with non-string keys",
      new Map<unknown, unknown>([
        [1, "a"],
        [2.5, [1]],
      ]),
      "pickle",
    ],
    ["a Set", new Set([1, "x"]), "pickle"],
    ["a bigint beyond 2^53", 2n ** 64n + 1n, "pickle"],
    ["a Date", new Date(Date.UTC(2020, 5, 15, 12, 0, 0, 250)), "pickle"],
    ["Dates nested", { at: [new Date(0), { deeper: new Date(86_400_000) }] }, "pickle"],
    ["bytes inside a structure", { blob: new Uint8Array([1, 2, 3]), list: [new Uint8Array([9])] }, "pickle"],
    ["NaN and the infinities", [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], "pickle"],
    ["a nesting of them all", new Map([[7, { s: new Set([2n ** 80n]), d: [new Date(5)] }]]), "pickle"],
    ["plain JSON", { a: [1, 2.5, "x", null, true] }, "json"],
  ];
  it.each(cases)("%s comes back as the same JS types", async (_name, value, codec) => {
    const key = `auto/${_name.replaceAll(" ", "-")}`;
    const info = await store.put(key, value);
    expect(info!.codec).toBe(codec);
    expect(await store.get(key)).toEqual(value);
  });

  it("returns class instances as plain data", async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      norm() {
        return Math.hypot(this.x, this.y);
      }
    }
    await store.put("auto/point", new Point(3, 4));
    const back = await store.get<Record<string, number>>("auto/point");
    expect(back).toEqual({ x: 3, y: 4 });
    expect(back).not.toBeInstanceOf(Point);
  });
});
