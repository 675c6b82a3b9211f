import { create, fromJson, type JsonValue as ProtoJsonValue, toJson } from "@bufbuild/protobuf";
import { ValueSchema as JsonValueSchema, type Value as ProtoValue } from "@bufbuild/protobuf/wkt";
import { type Value, ValueSchema } from "../../gen/anykv/v1/value_pb.js";
import { AnykvError } from "../errors.js";
import { anyFromData, anyToData } from "./any-data.js";
import { data } from "./data.js";
import { dataToJson, type JsonValue, jsonToData } from "./json-data.js";
import type { TypedValue } from "./typed-value.js";
import { type DataLimits, dataFromWire, dataToWire, defaultDataLimits } from "./wire-data.js";

/** anykv.v1.Value → TypedValue. An empty Value is INVALID_VALUE. */
export function valueFromWire(value: Value | undefined, limits: DataLimits = defaultDataLimits): TypedValue {
  const kind = value?.kind;
  switch (kind?.case) {
    case "raw":
      return { kind: "raw", data: data.bytes(kind.value) };
    case "text":
      return { kind: "text", data: data.str(kind.value) };
    case "json":
      return { kind: "json", data: jsonToData(checkJsonDepth(jsonOf(kind.value), limits)) };
    case "data":
      return { kind: "data", data: dataFromWire(kind.value, limits) };
    case "code":
      return { kind: "code", data: data.code(kind.value.language, kind.value.source) };
    case "message":
      // Validated and unpacked by the model pipeline (src/codec/models/model-value.ts).
      return { kind: "message", data: anyToData(kind.value) };
    case undefined:
      throw new AnykvError(
        "INVALID_VALUE",
        "the request has no value: set one of raw, text, json, data, message, code",
      );
  }
}

/** TypedValue → anykv.v1.Value. */
export function valueToWire(value: TypedValue): Value {
  const d = value.data;
  switch (value.kind) {
    case "raw":
      if (d.type === "bytes" || d.type === "bytearray")
        return create(ValueSchema, { kind: { case: "raw", value: d.value } });
      break;
    case "text":
      if (d.type === "str") return create(ValueSchema, { kind: { case: "text", value: d.value } });
      break;
    case "json":
      return create(ValueSchema, {
        kind: { case: "json", value: fromJson(JsonValueSchema, dataToJson(d) as ProtoJsonValue) },
      });
    case "message":
      return create(ValueSchema, { kind: { case: "message", value: anyFromData(d) } });
    case "code":
      if (d.type === "code") {
        return create(ValueSchema, {
          kind: { case: "code", value: { language: d.language, source: d.source } },
        });
      }
      break;
    default:
      break;
  }
  return create(ValueSchema, { kind: { case: "data", value: dataToWire(d) } });
}

/**
 * A google.protobuf.Value as JSON. One that JSON cannot hold — empty (no kind set, anywhere in
 * the tree), NaN or ±Infinity — is the client's mistake: INVALID_VALUE.
 */
function jsonOf(value: ProtoValue): JsonValue {
  try {
    return toJson(JsonValueSchema, value) as JsonValue;
  } catch {
    throw new AnykvError(
      "INVALID_VALUE",
      "the json value is not JSON: a google.protobuf.Value with no kind set, or a number that is NaN or ±Infinity (send those as data)",
    );
  }
}

/** JSON from the wire is bounded like data trees, so one limit covers both. */
export function checkJsonDepth(json: JsonValue, limits: DataLimits): JsonValue {
  const walk = (v: JsonValue, depth: number): void => {
    if (depth > limits.maxDepth) {
      throw new AnykvError("LIMIT_EXCEEDED", `the value nests deeper than ${limits.maxDepth} levels`);
    }
    if (v !== null && typeof v === "object") for (const child of Object.values(v)) walk(child, depth + 1);
  };
  walk(json, 0);
  return json;
}
