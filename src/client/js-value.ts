import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { ValueSchema as JsonValueSchema } from "@bufbuild/protobuf/wkt";
import { type Value, ValueSchema } from "../../gen/anykv/v1/value_pb.js";
import { dataFromWire, dataToWire } from "../codec/wire-data.js";
import { functionSource } from "./function-source.js";
import { type DataToJsOptions, dataToJs, jsToData } from "./js-data.js";
import { isTuple } from "./python-types.js";

/**
 * A JavaScript value → the wire Value kind that says what it is: string →
 * text, Uint8Array → raw, function → code, plain JSON → json, and anything
 * JSON cannot hold exactly (Map, Set, bigint, Date, nested bytes, NaN, …) → data.
 */
export function toWireValue(value: unknown): Value {
  if (typeof value === "string") return create(ValueSchema, { kind: { case: "text", value } });
  if (value instanceof Uint8Array && value.constructor === Uint8Array) {
    return create(ValueSchema, { kind: { case: "raw", value } });
  }
  if (value instanceof Uint8Array && Buffer.isBuffer(value)) {
    return create(ValueSchema, { kind: { case: "raw", value: new Uint8Array(value) } });
  }
  if (typeof value === "function") {
    const source = functionSource(value as (...args: unknown[]) => unknown);
    return create(ValueSchema, { kind: { case: "code", value: { language: "javascript", source } } });
  }
  if (isPlainJson(value)) {
    return create(ValueSchema, { kind: { case: "json", value: fromJson(JsonValueSchema, value) } });
  }
  return create(ValueSchema, { kind: { case: "data", value: dataToWire(jsToData(value)) } });
}

/** A wire Value → the JavaScript value of its kind. */
export function fromWireValue(value: Value | undefined, options: DataToJsOptions): unknown {
  const kind = value?.kind;
  switch (kind?.case) {
    case "raw":
    case "text":
      return kind.value;
    case "json":
      return toJson(JsonValueSchema, kind.value);
    case "data":
      return dataToJs(
        dataFromWire(kind.value, { maxDepth: 10_000, maxIntDigits: Number.MAX_SAFE_INTEGER }),
        options,
      );
    case "code":
      return options.reviveCode(kind.value.language, kind.value.source);
    case "message":
      return kind.value;
    case undefined:
      return undefined;
  }
}

const JSON_DEPTH_LIMIT = 90;

/**
 * Whether JSON text holds `value` exactly: null, booleans, finite numbers
 * (not -0), strings, arrays and plain objects of those.
 */
export function isPlainJson(value: unknown, depth = 0): value is JsonValue {
  // protobuf-es parses google.protobuf.Value at most 100 levels deep; deeper trees travel
  // as data, and the server answers them with its own nesting limit.
  if (depth > JSON_DEPTH_LIMIT) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) {
    if (isTuple(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
    // Array.from reads holes as undefined, which JSON cannot hold.
    return Array.from(value).every((v) => isPlainJson(v, depth + 1));
  }
  if (typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((v) => isPlainJson(v, depth + 1));
}
