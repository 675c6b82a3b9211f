import { AnykvError } from "../errors.js";
import type { CodecName } from "./codec.js";
import { getCodec } from "./codec-registry.js";
import { isJsonExact } from "./json-data.js";
import type { ModeName, TypedValue } from "./typed-value.js";

/** What a put writes: the bytes and how they were made. */
export interface Serialized {
  readonly codec: CodecName;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/**
 * The codec table of DESIGN.md for put: which codec stores a value of this
 * kind in this mode, or why it cannot be stored. `key` only names the key in
 * error messages.
 */
export function chooseCodec(value: TypedValue, mode: ModeName, key: string): CodecName {
  const refuse = (why: string): never => {
    throw new AnykvError(
      "INVALID_VALUE",
      `cannot store key "${key}" in ${mode} mode: a ${value.kind} value ${why}`,
    );
  };
  switch (mode) {
    case "pickle":
      return "pickle";
    case "raw":
      return value.kind === "raw" ? "raw" : refuse("is not bytes");
    case "json":
      switch (value.kind) {
        case "text":
        case "json":
        case "message":
          return "json";
        case "data":
          return isJsonExact(value.data)
            ? "json"
            : refuse("holds what JSON cannot represent exactly; use pickle or auto mode");
        default:
          return refuse("has no JSON form");
      }
    case "auto":
      switch (value.kind) {
        case "raw":
          return "raw";
        case "text":
          return "text";
        case "json":
        case "message":
          return "json";
        case "data":
          return isJsonExact(value.data) ? "json" : "pickle";
        case "code":
          return "pickle";
      }
  }
}

/** Serializes `value` for `mode`; a refused write throws before anything is stored. */
export function serialize(value: TypedValue, mode: ModeName, key: string): Serialized {
  const codec = getCodec(chooseCodec(value, mode, key));
  return { codec: codec.name, contentType: codec.contentType, bytes: codec.encode(value.data) };
}
