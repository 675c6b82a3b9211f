import type { Data } from "../codec/data.js";
import { data } from "../codec/data.js";
import { utcDateTime } from "../codec/utc-datetime.js";
import { functionSource } from "./function-source.js";
import {
  bytearray,
  frozenset,
  isBytearray,
  isFrozenset,
  isNaiveDate,
  isTuple,
  markTuple,
  naiveDate,
  PyDate,
  PyTime,
  PyTimedelta,
} from "./python-types.js";

/**
 * JavaScript values → data trees. Numbers that are safe integers become ints
 * (Python int), others floats; bigints are ints; Maps, Sets and Dates keep
 * their types; class instances travel as their own enumerable properties
 * (plain data, like anystore's pydantic-free objects).
 */
export function jsToData(value: unknown, seen = new Set<object>()): Data {
  switch (typeof value) {
    case "string":
      return data.str(value);
    case "boolean":
      return data.bool(value);
    case "bigint":
      return data.int(value);
    case "number":
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? data.int(value) : data.float(value);
    case "function":
      return data.code("javascript", functionSource(value as (...args: unknown[]) => unknown));
    case "undefined":
    case "symbol":
      throw new TypeError(`anykv cannot store ${typeof value} values`);
    default:
      break;
  }
  if (value === null) return data.none;
  if (seen.has(value as object)) throw new TypeError("anykv cannot store a value that contains itself");
  seen.add(value as object);
  try {
    return objectToData(value as object, seen);
  } finally {
    seen.delete(value as object);
  }
}

function objectToData(value: object, seen: Set<object>): Data {
  const child = (v: unknown) => jsToData(v, seen);
  if (value instanceof Uint8Array)
    return isBytearray(value) ? { type: "bytearray", value } : data.bytes(value);
  if (Array.isArray(value))
    // Array.from reads holes as undefined, which is refused like any undefined.
    return isTuple(value) ? data.tuple(Array.from(value, child)) : data.list(Array.from(value, child));
  if (value instanceof Map) return data.dict([...value].map(([k, v]) => [child(k), child(v)] as const));
  if (value instanceof Set)
    return isFrozenset(value) ? data.frozenset([...value].map(child)) : data.set([...value].map(child));
  if (value instanceof Date) return dateToData(value);
  if (value instanceof PyDate) return { type: "date", year: value.year, month: value.month, day: value.day };
  if (value instanceof PyTime) {
    const { hour, minute, second, microsecond, utcOffsetSeconds } = value;
    return { type: "time", hour, minute, second, microsecond, utcOffsetSeconds };
  }
  if (value instanceof PyTimedelta) {
    return { type: "timedelta", days: value.days, seconds: value.seconds, microseconds: value.microseconds };
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer)
    throw new TypeError(`anykv stores Uint8Array, not ${value.constructor.name}`);
  return data.dict(Object.entries(value).map(([k, v]) => [data.str(k), child(v)] as const));
}

function dateToData(value: Date): Data {
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new TypeError("anykv cannot store an invalid Date");
  // A Date is an instant: its UTC fields, aware (offset 0) unless it was read from a naive datetime.
  return { ...utcDateTime(ms), utcOffsetSeconds: isNaiveDate(value) ? undefined : 0 };
}

/** Options for turning data trees into JavaScript values. */
export interface DataToJsOptions {
  /** Turns code values into functions; called only when code is trusted. */
  readonly reviveCode: (language: string, source: string) => unknown;
}

/** Data trees → JavaScript values; the inverse of jsToData. */
export function dataToJs(value: Data, options: DataToJsOptions): unknown {
  const child = (v: Data) => dataToJs(v, options);
  switch (value.type) {
    case "none":
      return null;
    case "bool":
    case "str":
    case "float":
      return value.value;
    case "int":
      return value.value >= -MAX_SAFE && value.value <= MAX_SAFE ? Number(value.value) : value.value;
    case "bytes":
      return value.value;
    case "bytearray":
      return bytearray(value.value);
    case "list":
      return value.items.map(child);
    case "tuple":
      return markTuple(value.items.map(child));
    case "set":
      return new Set(value.items.map(child));
    case "frozenset":
      return frozenset(value.items.map(child));
    case "dict":
      if (value.entries.every(([k]) => k.type === "str")) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of value.entries) {
          if (k.type === "str")
            Object.defineProperty(out, k.value, {
              value: child(v),
              enumerable: true,
              writable: true,
              configurable: true,
            });
        }
        return out;
      }
      return new Map(value.entries.map(([k, v]) => [child(k), child(v)]));
    case "datetime": {
      // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
      const wall = new Date(0);
      wall.setUTCFullYear(value.year, value.month - 1, value.day);
      wall.setUTCHours(value.hour, value.minute, value.second, Math.trunc(value.microsecond / 1000));
      const date = new Date(wall.getTime() - (value.utcOffsetSeconds ?? 0) * 1000);
      return value.utcOffsetSeconds === undefined ? naiveDate(date) : date;
    }
    case "date":
      return new PyDate(value.year, value.month, value.day);
    case "time":
      return new PyTime(value.hour, value.minute, value.second, value.microsecond, value.utcOffsetSeconds);
    case "timedelta":
      return new PyTimedelta(value.days, value.seconds, value.microseconds);
    case "code":
      return options.reviveCode(value.language, value.source);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
