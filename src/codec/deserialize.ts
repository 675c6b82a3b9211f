import { AnykvError, isAnykvError } from "../errors.js";
import type { CodecName } from "./codec.js";
import { getCodec, isCodecName } from "./codec-registry.js";
import { type Data, data } from "./data.js";
import { hasJsonForm } from "./json-data.js";
import { defaultPickleLimits, type PickleLimits } from "./pickle/index.js";
import { isPickle } from "./pickle-codec.js";
import { isValueKind, type ModeName, type TypedValue, type ValueKind } from "./typed-value.js";

/** How a key's bytes were written; both empty for bytes without metadata (imported data). */
export interface StoredFormat {
  readonly codec: string;
  readonly kind: string;
}

/**
 * Decodes stored bytes for a get. Auto mode is type-faithful: it uses the
 * recorded codec and returns the recorded kind. An explicit mode decodes the
 * bytes that way whatever they are, and fails with DECODE_FAILED when they
 * are not of that format. `key` only names the key in error messages. A value
 * that decodes to more than `limits` allow is LIMIT_EXCEEDED in every mode.
 */
export function deserialize(
  bytes: Uint8Array,
  stored: StoredFormat,
  mode: ModeName,
  key: string,
  limits: PickleLimits = defaultPickleLimits,
): TypedValue {
  if (mode === "raw") return { kind: "raw", data: data.bytes(bytes) };
  if (mode === "auto")
    return isCodecName(stored.codec) ? decodeAsStored(bytes, stored, limits) : guess(bytes, limits);
  const codec = mode;
  let decoded: Data;
  try {
    decoded = getCodec(codec).decode(bytes, limits);
  } catch (cause) {
    if (!isAnykvError(cause, "DECODE_FAILED")) throw cause;
    const how = stored.codec
      ? `was stored as ${stored.kind || "bytes"} with codec ${stored.codec}`
      : "has no metadata";
    throw new AnykvError(
      "DECODE_FAILED",
      `key "${key}" ${how} and cannot be read in ${mode} mode: ${cause.message}; read it with mode auto or raw`,
      { cause },
    );
  }
  const kind = stored.codec === codec && isValueKind(stored.kind) ? stored.kind : modeKind(codec, decoded);
  return present(decoded, kind);
}

/** Auto mode with metadata: the recorded codec, the recorded kind. */
function decodeAsStored(bytes: Uint8Array, stored: StoredFormat, limits: PickleLimits): TypedValue {
  let decoded: Data;
  try {
    decoded = getCodec(stored.codec).decode(bytes, limits);
  } catch (cause) {
    // A pickle the server cannot load (a Python lambda, say) stays readable as bytes;
    // one over a limit is refused as such (the limit can be raised).
    if (stored.codec === "pickle" && isAnykvError(cause, "DECODE_FAILED"))
      return { kind: "raw", data: data.bytes(bytes) };
    throw cause;
  }
  return present(decoded, isValueKind(stored.kind) ? stored.kind : naturalKind(decoded));
}

/** Bytes without metadata: anystore's order, JSON → data-only pickle → UTF-8 text → bytes. */
function guess(bytes: Uint8Array, limits: PickleLimits): TypedValue {
  const order: readonly CodecName[] = isPickle(bytes) ? ["json", "pickle", "text"] : ["json", "text"];
  for (const codec of order) {
    try {
      const decoded = getCodec(codec).decode(bytes, limits);
      return present(decoded, modeKind(codec, decoded));
    } catch (err) {
      // A pickle over a limit is a pickle: refused as such, not guessed as text.
      if (!isAnykvError(err) || err.code === "LIMIT_EXCEEDED") throw err;
    }
  }
  return { kind: "raw", data: data.bytes(bytes) };
}

/** The kind a codec's output naturally has when nothing was recorded. */
function modeKind(codec: CodecName, decoded: Data): ValueKind {
  if (codec === "json") return "json";
  return naturalKind(decoded);
}

function naturalKind(decoded: Data): ValueKind {
  switch (decoded.type) {
    case "bytes":
      return "raw";
    case "str":
      return "text";
    case "code":
      return "code";
    default:
      return "data";
  }
}

/**
 * Returns `decoded` as `kind` when its shape allows, else as its natural kind.
 * A message stored as its model's JSON reads back, without the model, as that
 * JSON: the data dictionary (get with the model returns the message).
 */
function present(decoded: Data, stored: ValueKind): TypedValue {
  const kind = stored === "message" ? "json" : stored;
  const fits =
    kind === "data" ||
    (kind === "json" && hasJsonForm(decoded)) ||
    (kind === "raw" && (decoded.type === "bytes" || decoded.type === "bytearray")) ||
    (kind === "text" && decoded.type === "str") ||
    (kind === "code" && decoded.type === "code");
  return { kind: fits ? kind : naturalKind(decoded), data: decoded };
}
