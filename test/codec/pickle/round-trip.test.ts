import { describe, expect, it } from "vitest";
import { type Data, data } from "../../../src/codec/data.js";
import { decodePickle, encodePickle, isPickle } from "../../../src/codec/pickle/index.js";
import { isAnykvError } from "../../../src/errors.js";
import { cases } from "./matrix.js";

describe("encodePickle → decodePickle", () => {
  it.each(cases.map((c) => [c.name, c.value] as const))("%s", (_name, value) => {
    const bytes = encodePickle(value);
    expect(isPickle(bytes)).toBe(true);
    // Exact equality, set order included: the reader keeps the order the writer wrote.
    expect(decodePickle(bytes)).toEqual(value);
  });

  it("keeps -0.0 and NaN bit-exact enough to tell apart", () => {
    const decoded = decodePickle(encodePickle(data.list([data.float(-0), data.float(Number.NaN)])));
    expect(decoded.type === "list" && decoded.items.map((d) => (d.type === "float" ? d.value : 1))).toEqual([
      -0,
      Number.NaN,
    ]);
    expect(
      Object.is(decoded.type === "list" && decoded.items[0]?.type === "float" && decoded.items[0].value, -0),
    ).toBe(true);
  });
});

function invalidValue(value: Data): string {
  try {
    encodePickle(value);
  } catch (err) {
    if (isAnykvError(err, "INVALID_VALUE")) return err.message;
    throw err;
  }
  throw new Error("encodePickle accepted it");
}

describe("encodePickle refuses what Python cannot hold", () => {
  const list = data.list([data.int(1)]);
  it.each([
    ["list as dict key", data.dict([[list, data.none]])],
    ["dict as dict key", data.dict([[data.dict([]), data.none]])],
    ["set as set item", data.set([data.set([])])],
    ["bytearray as set item", data.set([{ type: "bytearray", value: new Uint8Array(1) }])],
    ["tuple holding a list as dict key", data.dict([[data.tuple([data.int(1), list]), data.none]])],
    ["list in a frozenset", data.frozenset([list])],
    ["code as dict key", data.dict([[data.code("python", "f"), data.none]])],
  ])("%s", (_name, value) => {
    expect(invalidValue(value)).toMatch(/must be hashable in Python/);
  });

  it.each([
    [
      "1 and 1.0 as dict keys",
      data.dict([
        [data.int(1), data.none],
        [data.float(1), data.none],
      ]),
    ],
    ["1 and True in a set", data.set([data.int(1), data.bool(true)])],
    [
      "the same str twice",
      data.dict([
        [data.str("a"), data.none],
        [data.str("a"), data.int(1)],
      ]),
    ],
    [
      "two aware datetimes at the same instant",
      data.set([
        {
          type: "datetime",
          year: 2020,
          month: 1,
          day: 1,
          hour: 1,
          minute: 0,
          second: 0,
          microsecond: 0,
          utcOffsetSeconds: 3600,
        },
        {
          type: "datetime",
          year: 2020,
          month: 1,
          day: 1,
          hour: 0,
          minute: 0,
          second: 0,
          microsecond: 0,
          utcOffsetSeconds: 0,
        },
      ]),
    ],
    [
      "equal frozensets",
      data.set([data.frozenset([data.int(1), data.int(2)]), data.frozenset([data.int(2), data.int(1)])]),
    ],
  ])("%s", (_name, value) => {
    expect(invalidValue(value)).toMatch(/treats as equal/);
  });

  it("keeps NaN keys apart, as Python does for distinct NaN objects", () => {
    const value = data.set([data.float(Number.NaN), data.float(Number.NaN)]);
    expect(decodePickle(encodePickle(value))).toEqual(value);
  });

  it.each([
    ["month 13", { type: "date", year: 2020, month: 13, day: 1 }],
    ["February 30", { type: "date", year: 2020, month: 2, day: 30 }],
    ["year 0", { type: "date", year: 0, month: 1, day: 1 }],
    ["hour 24", { type: "time", hour: 24, minute: 0, second: 0, microsecond: 0 }],
    ["fractional second", { type: "time", hour: 1, minute: 0, second: 0.5, microsecond: 0 }],
    [
      "offset of 24 h",
      { type: "time", hour: 1, minute: 0, second: 0, microsecond: 0, utcOffsetSeconds: 86_400 },
    ],
    ["unnormalized timedelta", { type: "timedelta", days: 0, seconds: 86_400, microseconds: 0 }],
    ["timedelta beyond max", { type: "timedelta", days: 1_000_000_000, seconds: 0, microseconds: 0 }],
  ] as [string, Data][])("%s", (_name, value) => {
    expect(invalidValue(value)).toMatch(/^cannot pickle: /);
  });

  it("a plain dict shaped like the code marker", () => {
    const marker = data.dict([
      [
        data.str("__anykv_code__"),
        data.dict([
          [data.str("language"), data.str("python")],
          [data.str("source"), data.str("f")],
        ]),
      ],
    ]);
    expect(invalidValue(marker)).toMatch(/reserved for code values/);
  });

  it("nesting deeper than maxDepth, with LIMIT_EXCEEDED", () => {
    let deep: Data = data.none;
    for (let k = 0; k < 100_000; k += 1) deep = data.list([deep]);
    expect(() => encodePickle(deep)).toThrow(expect.objectContaining({ code: "LIMIT_EXCEEDED" }));
    let ok: Data = data.none;
    for (let k = 0; k < 50; k += 1) ok = data.tuple([ok]);
    expect(decodePickle(encodePickle(ok, { maxDepth: 50 }))).toEqual(ok);
    expect(() => encodePickle(data.tuple([ok]), { maxDepth: 50 })).toThrow(/more than 50 levels/);
  });
});
