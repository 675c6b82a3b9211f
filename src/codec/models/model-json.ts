import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import { type JsonValue, jsonKey } from "../json-data.js";

/** How a data tree's non-JSON leaves are written for a model. */
export interface ModelJsonOptions {
  /**
   * Integers beyond ±2^53 as decimal strings (protobuf JSON's int64 form) instead of
   * (inexact) numbers.
   * @default false
   */
  readonly bigIntAsString?: boolean;
  /**
   * Python timedelta as protobuf JSON's Duration ("3.5s") instead of ISO 8601 ("PT3.5S",
   * what pydantic reads).
   * @default false
   */
  readonly protobufDurations?: boolean;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A data tree (a `json` or `data` value, or stored bytes decoded by any codec) as the JSON a
 * model validates: dates and times become ISO 8601 strings, bytes base64 (protobuf JSON's
 * form), tuples and sets arrays. Maps need string-like keys. Code has no JSON form.
 */
export function modelJson(value: Data, options: ModelJsonOptions = {}): JsonValue {
  const walk = (v: Data): JsonValue => {
    switch (v.type) {
      case "none":
        return null;
      case "bool":
      case "str":
      case "float":
        return v.value;
      case "int":
        if (options.bigIntAsString && (v.value > MAX_SAFE || v.value < -MAX_SAFE)) return v.value.toString();
        return Number(v.value);
      case "bytes":
      case "bytearray":
        return Buffer.from(v.value).toString("base64");
      case "list":
      case "tuple":
      case "set":
      case "frozenset":
        return v.items.map(walk);
      case "dict":
        // fromEntries defines own properties: a "__proto__" key stays a key.
        return Object.fromEntries(v.entries.map(([k, item]) => [jsonKey(k), walk(item)]));
      case "datetime": {
        const date = `${pad(v.year, 4)}-${pad(v.month)}-${pad(v.day)}`;
        return `${date}T${clock(v.hour, v.minute, v.second, v.microsecond)}${offset(v.utcOffsetSeconds)}`;
      }
      case "date":
        return `${pad(v.year, 4)}-${pad(v.month)}-${pad(v.day)}`;
      case "time":
        return `${clock(v.hour, v.minute, v.second, v.microsecond)}${offset(v.utcOffsetSeconds)}`;
      case "timedelta": {
        const seconds = v.days * 86_400 + v.seconds;
        const fraction = v.microseconds ? `.${pad(v.microseconds, 6).replace(/0+$/, "")}` : "";
        if (options.protobufDurations) return `${seconds}${fraction}s`;
        return `P${v.days}DT${v.seconds}${fraction}S`;
      }
      case "code":
        throw new AnykvError(
          "INVALID_VALUE",
          "code has no JSON form and cannot be validated against a model",
        );
    }
  };
  return walk(value);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function clock(hour: number, minute: number, second: number, microsecond: number): string {
  return `${pad(hour)}:${pad(minute)}:${pad(second)}${microsecond ? `.${pad(microsecond, 6)}` : ""}`;
}

function offset(seconds: number | undefined): string {
  if (seconds === undefined) return "";
  if (seconds === 0) return "Z";
  const abs = Math.abs(seconds);
  return `${seconds < 0 ? "-" : "+"}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`;
}
