import { create } from "@bufbuild/protobuf";
import { DurationSchema, NullValue } from "@bufbuild/protobuf/wkt";
import {
  CodeSchema,
  DataListSchema,
  DataMapSchema,
  type Data as DataMessage,
  DataSchema,
  DateSchema,
  type DateTime,
  DateTimeSchema,
  type TimeOfDay,
  TimeOfDaySchema,
} from "../../gen/anykv/v1/value_pb.js";
import { AnykvError } from "../errors.js";
import { type Data, data } from "./data.js";

/** Limits on trees that come off the wire. */
export interface DataLimits {
  /**
   * How deeply lists, maps and sets may nest.
   * @default 64
   */
  readonly maxDepth: number;
  /**
   * Most decimal digits of an int (parsing and printing decimal costs time quadratic in the
   * digits); `--max-int-digits`.
   * @default 4300
   */
  readonly maxIntDigits: number;
}

export const defaultDataLimits: DataLimits = Object.freeze({ maxDepth: 64, maxIntDigits: 4300 });

const INT_PATTERN = /^-?(0|[1-9][0-9]*)$/;

/** anykv.v1.Data → Data. Malformed trees are INVALID_VALUE; too deep is LIMIT_EXCEEDED. */
export function dataFromWire(message: DataMessage, limits: DataLimits = defaultDataLimits, depth = 0): Data {
  if (depth > limits.maxDepth) {
    throw new AnykvError("LIMIT_EXCEEDED", `the value nests deeper than ${limits.maxDepth} levels`);
  }
  const child = (m: DataMessage) => dataFromWire(m, limits, depth + 1);
  const kind = message.kind;
  switch (kind.case) {
    case "nullValue":
      return data.none;
    case "boolValue":
      return data.bool(kind.value);
    case "intValue":
      if (kind.value.length - (kind.value.startsWith("-") ? 1 : 0) > limits.maxIntDigits) {
        throw new AnykvError(
          "LIMIT_EXCEEDED",
          `int_value has more than ${limits.maxIntDigits} decimal digits; limit raised with --max-int-digits`,
        );
      }
      if (!INT_PATTERN.test(kind.value)) {
        throw new AnykvError("INVALID_VALUE", `int_value "${kind.value}" is not a decimal integer`);
      }
      return data.int(BigInt(kind.value));
    case "floatValue":
      return data.float(kind.value);
    case "stringValue":
      return data.str(kind.value);
    case "bytesValue":
      return data.bytes(kind.value);
    case "bytearrayValue":
      return { type: "bytearray", value: kind.value };
    case "listValue":
    case "tupleValue":
    case "setValue":
    case "frozensetValue": {
      const type = (
        { listValue: "list", tupleValue: "tuple", setValue: "set", frozensetValue: "frozenset" } as const
      )[kind.case];
      return { type, items: kind.value.items.map(child) };
    }
    case "mapValue":
      return data.dict(
        kind.value.entries.map((e) => {
          if (!e.key || !e.value)
            throw new AnykvError("INVALID_VALUE", "a map entry needs a key and a value");
          return [child(e.key), child(e.value)] as const;
        }),
      );
    case "datetimeValue":
      return { type: "datetime", ...checkedClock(kind.value), ...checkedDate(kind.value) };
    case "dateValue":
      return { type: "date", ...checkedDate(kind.value) };
    case "timeValue":
      return { type: "time", ...checkedClock(kind.value) };
    case "timedeltaValue": {
      // Python normalizes timedelta to days, 0 <= seconds < 86400, 0 <= microseconds < 10^6.
      const totalMicros = kind.value.seconds * 1_000_000n + BigInt(Math.trunc(kind.value.nanos / 1000));
      const days = totalMicros / 86_400_000_000n - (totalMicros % 86_400_000_000n < 0n ? 1n : 0n);
      const rest = totalMicros - days * 86_400_000_000n;
      return {
        type: "timedelta",
        days: Number(days),
        seconds: Number(rest / 1_000_000n),
        microseconds: Number(rest % 1_000_000n),
      };
    }
    case "codeValue":
      return data.code(kind.value.language, kind.value.source);
    case undefined:
      throw new AnykvError("INVALID_VALUE", "a Data message has no kind set");
  }
}

function checkedDate(d: { year: number; month: number; day: number }) {
  const valid =
    d.year >= 1 &&
    d.year <= 9999 &&
    d.month >= 1 &&
    d.month <= 12 &&
    d.day >= 1 &&
    d.day <= daysIn(d.year, d.month);
  if (!valid) throw new AnykvError("INVALID_VALUE", `${d.year}-${d.month}-${d.day} is not a valid date`);
  return { year: d.year, month: d.month, day: d.day };
}

function checkedClock(t: DateTime | TimeOfDay) {
  const valid =
    t.hour >= 0 &&
    t.hour < 24 &&
    t.minute >= 0 &&
    t.minute < 60 &&
    t.second >= 0 &&
    t.second < 60 &&
    t.microsecond >= 0 &&
    t.microsecond < 1_000_000 &&
    (t.utcOffsetSeconds === undefined || Math.abs(t.utcOffsetSeconds) < 86_400);
  if (!valid)
    throw new AnykvError(
      "INVALID_VALUE",
      `${t.hour}:${t.minute}:${t.second}.${t.microsecond} is not a valid time`,
    );
  return {
    hour: t.hour,
    minute: t.minute,
    second: t.second,
    microsecond: t.microsecond,
    utcOffsetSeconds: t.utcOffsetSeconds,
  };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Data → anykv.v1.Data. */
export function dataToWire(value: Data): DataMessage {
  return create(DataSchema, { kind: wireKind(value) });
}

function wireKind(value: Data): DataMessage["kind"] {
  const items = (list: readonly Data[]) => ({ items: list.map(dataToWire) });
  switch (value.type) {
    case "none":
      return { case: "nullValue", value: NullValue.NULL_VALUE };
    case "bool":
      return { case: "boolValue", value: value.value };
    case "int":
      return { case: "intValue", value: value.value.toString() };
    case "float":
      return { case: "floatValue", value: value.value };
    case "str":
      return { case: "stringValue", value: value.value };
    case "bytes":
      return { case: "bytesValue", value: value.value };
    case "bytearray":
      return { case: "bytearrayValue", value: value.value };
    case "list":
      return { case: "listValue", value: create(DataListSchema, items(value.items)) };
    case "tuple":
      return { case: "tupleValue", value: create(DataListSchema, items(value.items)) };
    case "set":
      return { case: "setValue", value: create(DataListSchema, items(value.items)) };
    case "frozenset":
      return { case: "frozensetValue", value: create(DataListSchema, items(value.items)) };
    case "dict":
      return {
        case: "mapValue",
        value: create(DataMapSchema, {
          entries: value.entries.map(([k, v]) => ({ key: dataToWire(k), value: dataToWire(v) })),
        }),
      };
    case "datetime": {
      const { type: _, ...fields } = value;
      return { case: "datetimeValue", value: create(DateTimeSchema, withoutUndefined(fields)) };
    }
    case "date":
      return {
        case: "dateValue",
        value: create(DateSchema, { year: value.year, month: value.month, day: value.day }),
      };
    case "time": {
      const { type: _, ...fields } = value;
      return { case: "timeValue", value: create(TimeOfDaySchema, withoutUndefined(fields)) };
    }
    case "timedelta": {
      const micros =
        BigInt(value.days) * 86_400_000_000n +
        BigInt(value.seconds) * 1_000_000n +
        BigInt(value.microseconds);
      const seconds = micros / 1_000_000n;
      const nanos = Number(micros % 1_000_000n) * 1000;
      return { case: "timedeltaValue", value: create(DurationSchema, { seconds, nanos }) };
    }
    case "code":
      return {
        case: "codeValue",
        value: create(CodeSchema, { language: value.language, source: value.source }),
      };
  }
}

/** Drops undefined fields, which exactOptionalPropertyTypes keeps apart from absent ones. */
function withoutUndefined<T extends object>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
