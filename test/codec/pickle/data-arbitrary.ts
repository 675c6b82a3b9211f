import fc from "fast-check";
import type { Data } from "../../../src/codec/data.js";

/** Arbitrary Data, valid or not for Python (unhashable keys, equal keys, bad dates): the writer must sort them out. */
export const dataArb: fc.Arbitrary<Data> = fc.letrec<{ value: Data }>((tie) => {
  const small = { maxLength: 4 };
  const scalar = fc.oneof(
    fc.constant<Data>({ type: "none" }),
    fc.boolean().map((value): Data => ({ type: "bool", value })),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((value): Data => ({ type: "int", value })),
    fc.integer({ min: -3, max: 3 }).map((n): Data => ({ type: "int", value: BigInt(n) })),
    fc.double().map((value): Data => ({ type: "float", value })),
    fc.string({ unit: "binary", maxLength: 6 }).map((value): Data => ({ type: "str", value })),
    fc.uint8Array({ maxLength: 6 }).map((value): Data => ({ type: "bytes", value })),
    fc.uint8Array({ maxLength: 6 }).map((value): Data => ({ type: "bytearray", value })),
    fc
      .tuple(
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
      )
      .map(([year, month, day]): Data => ({ type: "date", year, month, day })),
    fc
      .record({
        year: fc.integer({ min: 1, max: 9999 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.integer({ min: 0, max: 59 }),
        microsecond: fc.integer({ min: 0, max: 999_999 }),
        utcOffsetSeconds: fc.option(fc.integer({ min: -86_399, max: 86_399 }), { nil: undefined }),
      })
      .map((f): Data => ({ type: "datetime", ...f })),
    fc
      .record({
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.integer({ min: 0, max: 59 }),
        microsecond: fc.integer({ min: 0, max: 999_999 }),
        utcOffsetSeconds: fc.option(fc.constantFrom(0, 3600, -1800), { nil: undefined }),
      })
      .map((f): Data => ({ type: "time", ...f })),
    fc
      .record({
        days: fc.integer({ min: -999_999_999, max: 999_999_999 }),
        seconds: fc.integer({ min: 0, max: 86_399 }),
        microseconds: fc.integer({ min: 0, max: 999_999 }),
      })
      .map((f): Data => ({ type: "timedelta", ...f })),
    fc
      .tuple(fc.string(small), fc.string())
      .map(([language, source]): Data => ({ type: "code", language, source })),
  );
  return {
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar,
      fc.array(tie("value"), small).map((items): Data => ({ type: "list", items })),
      fc.array(tie("value"), small).map((items): Data => ({ type: "tuple", items })),
      fc.array(tie("value"), small).map((items): Data => ({ type: "set", items })),
      fc.array(tie("value"), small).map((items): Data => ({ type: "frozenset", items })),
      fc
        .array(fc.tuple(tie("value"), tie("value")), small)
        .map((entries): Data => ({ type: "dict", entries })),
    ),
  };
}).value;
