import { AnykvError } from "../errors.js";
import { type Data, data } from "./data.js";

/** A plain JSON value, as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Whether JSON holds `value` exactly, so that JSON text read back gives the
 * same tree. Integral floats and -0 are not exact (JSON cannot tell 2.0 from
 * 2), nor are integers beyond 2^53, tuples, sets, bytes, dates or maps with
 * non-string keys. Those go to pickle.
 */
export function isJsonExact(value: Data): boolean {
  switch (value.type) {
    case "none":
    case "bool":
    case "str":
      return true;
    case "int":
      return value.value <= MAX_SAFE && value.value >= -MAX_SAFE;
    case "float":
      return Number.isFinite(value.value) && !Number.isInteger(value.value);
    case "list":
      return value.items.every(isJsonExact);
    case "dict":
      return value.entries.every(([k, v]) => k.type === "str" && isJsonExact(v));
    default:
      return false;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Whether dataToJson gives a value google.protobuf.Value can carry: no bytes,
 * dates or code, and only finite numbers (JSON text such as 1e400 parses to
 * Infinity, which a json value cannot hold and a data tree can).
 */
export function hasJsonForm(value: Data): boolean {
  switch (value.type) {
    case "none":
    case "bool":
    case "str":
    case "int":
      return true;
    case "float":
      return Number.isFinite(value.value);
    case "list":
    case "tuple":
    case "set":
    case "frozenset":
      return value.items.every(hasJsonForm);
    case "dict":
      return value.entries.every(
        ([k, v]) => ["str", "int", "bool", "none"].includes(k.type) && hasJsonForm(v),
      );
    default:
      return false;
  }
}

/** JSON → Data: integral numbers become ints, the rest floats (as Python's json does). */
export function jsonToData(value: JsonValue): Data {
  if (value === null) return data.none;
  switch (typeof value) {
    case "boolean":
      return data.bool(value);
    case "string":
      return data.str(value);
    case "number":
      return Number.isSafeInteger(value) ? data.int(value) : data.float(value);
    default:
      break;
  }
  if (Array.isArray(value)) return data.list(value.map(jsonToData));
  return data.dict(Object.entries(value).map(([k, v]) => [data.str(k), jsonToData(v)] as const));
}

/**
 * Data → JSON. Ints beyond 2^53 become (inexact) numbers, tuples and sets
 * become arrays, and dict keys become strings: the lossy view a JSON reader
 * asks for. Bytes, dates and code have no JSON form and are refused.
 */
export function dataToJson(value: Data): JsonValue {
  switch (value.type) {
    case "none":
      return null;
    case "bool":
    case "str":
      return value.value;
    case "float":
      return value.value;
    case "int":
      return Number(value.value);
    case "list":
    case "tuple":
    case "set":
    case "frozenset":
      return value.items.map(dataToJson);
    case "dict":
      // fromEntries defines own properties: a "__proto__" key stays a key.
      return Object.fromEntries(value.entries.map(([k, v]) => [jsonKey(k), dataToJson(v)]));
    default:
      throw new AnykvError("INVALID_VALUE", `a ${value.type} value has no JSON form`);
  }
}

/** A dict key as a JSON object key, as Python's json.dumps writes it (1 → "1", None → "null"). */
export function jsonKey(key: Data): string {
  switch (key.type) {
    case "str":
      return key.value;
    case "int":
    case "float":
    case "bool":
      return String(key.value);
    case "none":
      return "null";
    default:
      throw new AnykvError("INVALID_VALUE", `a ${key.type} dict key has no JSON form`);
  }
}
