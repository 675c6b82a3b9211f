import { describe, expect, it } from "vitest";
import { dataToJs, jsToData } from "../../src/client/js-data.js";
import { isPlainJson, toWireValue } from "../../src/client/js-value.js";
import { data } from "../../src/codec/data.js";

const options = { reviveCode: () => undefined };

describe("JavaScript values the client cannot send as they are", () => {
  it("refuses sparse arrays as it refuses undefined, with a clear TypeError", () => {
    // biome-ignore lint/suspicious/noSparseArray: the case under test
    const sparse = [1, , 3];
    expect(isPlainJson(sparse)).toBe(false);
    expect(() => toWireValue(sparse)).toThrow(/cannot store undefined/);
    expect(() => toWireValue({ list: sparse, when: new Date(0) })).toThrow(/cannot store undefined/);
  });

  it("refuses an ArrayBuffer instead of sending it as an empty object", () => {
    expect(() => toWireValue(new ArrayBuffer(3))).toThrow(/Uint8Array, not ArrayBuffer/);
    expect(() => jsToData({ b: new ArrayBuffer(3) })).toThrow(/Uint8Array, not ArrayBuffer/);
  });
});

describe("data trees to JavaScript", () => {
  it("reads an aware datetime of a year before 100 whose UTC time falls in the year before", () => {
    const value = {
      type: "datetime",
      ...{ year: 50, month: 1, day: 1, hour: 0, minute: 30, second: 0, microsecond: 0 },
      utcOffsetSeconds: 3600,
    } as const;
    const date = dataToJs(value, options) as Date;
    expect(date.toISOString()).toBe("0049-12-31T23:30:00.000Z");
    expect(
      dataToJs({ ...value, year: 99, month: 12, day: 31, hour: 23, utcOffsetSeconds: -3600 }, options),
    ).toEqual(new Date("0100-01-01T00:30:00.000Z"));
  });

  it("keeps a __proto__ key as an own property", () => {
    const tree = data.dict([[data.str("__proto__"), data.int(1)]]);
    expect(Object.keys(dataToJs(tree, options) as object)).toEqual(["__proto__"]);
  });
});
