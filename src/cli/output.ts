import type { Registry } from "@bufbuild/protobuf";
import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "../../gen/anykv/v1/value_pb.js";
import type { KeyInfo } from "../client/index.js";
import { dataToJs } from "../client/js-data.js";
import { PyDate, PyTime, PyTimedelta } from "../client/python-types.js";
import { dataFromWire } from "../codec/wire-data.js";

/** `--output`: text for people, json for programs (one document, or JSON lines for streams). */
export type OutputFormat = "text" | "json";

/** Writes to stdout, waiting while its buffer is full (a pipe to a slow reader). */
export function writeOut(chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve())),
  );
}

/** A line of text on stdout (the newline added unless it ends with one). */
export function printLine(text: string): Promise<void> {
  return writeOut(text.endsWith("\n") ? text : `${text}\n`);
}

/** One JSON document (`pretty`) or one JSON line on stdout. */
export function printJson(doc: unknown, pretty = false): Promise<void> {
  return writeOut(`${JSON.stringify(doc, undefined, pretty ? 2 : undefined)}\n`);
}

/** A key's metadata as JSON: numbers, ISO times, absent times omitted. */
export function keyInfoJson(info: KeyInfo): Record<string, unknown> {
  return {
    key: info.key,
    namespace: info.namespace,
    size: info.size,
    codec: info.codec,
    kind: info.kind,
    model: info.model,
    contentType: info.contentType,
    createdAt: info.createdAt?.toISOString(),
    updatedAt: info.updatedAt?.toISOString(),
    expiresAt: info.expiresAt?.toISOString(),
    revision: Number(info.revision),
  };
}

/**
 * A value in the API's JSON form of anykv.v1.Value — `{"text": …}`, `{"raw": base64}`,
 * `{"json": …}`, `{"data": …}`, `{"code": …}` — which keeps its kind exactly (what
 * `--output json` prints and `import` reads). Messages need their model's types (`registry`).
 */
export function valueJson(value: Value, registry?: Registry): JsonValue {
  return toJson(ValueSchema, value, registry ? { registry } : {});
}

/**
 * A value for a person: text as is, bytes as they are, everything else as JSON (integers
 * beyond 2^53 exact, dates as ISO text, sets as lists, maps with other keys as pairs, nested
 * bytes as base64). Code is shown as its source, only with `trustCode`.
 */
export function valueText(value: Value, options: TextOptions): string | Uint8Array {
  const kind = value.kind;
  const indent = options.oneLine ? undefined : 2;
  switch (kind.case) {
    case "text":
    case "raw":
      return kind.value;
    case "json":
      return JSON.stringify((valueJson(value) as { json: JsonValue }).json, undefined, indent);
    case "message":
      return JSON.stringify(
        (valueJson(value, options.registry) as { message: JsonValue }).message,
        undefined,
        indent,
      );
    case "code":
      return codeSource(kind.value.language, kind.value.source, options.trustCode);
    case "data": {
      const js = dataToJs(
        dataFromWire(kind.value, { maxDepth: 10_000, maxIntDigits: Number.MAX_SAFE_INTEGER }),
        {
          reviveCode: (language, source) => codeSource(language, source, options.trustCode),
        },
      );
      return readableJson(js, indent);
    }
    case undefined:
      return "";
  }
}

export interface TextOptions {
  readonly trustCode: boolean;
  /** The types of protobuf model messages (messageRegistry). */
  readonly registry?: Registry;
  /** JSON on one line, for listings. */
  readonly oneLine?: boolean;
}

/**
 * A value on one line of a listing: text as is (quoted as JSON when it spans lines), bytes as
 * their size, anything else as compact JSON; code as its source with `trustCode`, else a note.
 */
export function valueLine(value: Value, options: TextOptions): string {
  const kind = value.kind;
  if (kind.case === "raw") return `<${kind.value.length} bytes>`;
  if (kind.case === "text") return /[\n\r\t]/.test(kind.value) ? JSON.stringify(kind.value) : kind.value;
  try {
    return valueText(value, { ...options, oneLine: true }) as string;
  } catch (err) {
    // One value of a listing that holds code does not stop the listing.
    if (err instanceof CodeNotTrustedError) return "<code: --trust-code prints its source>";
    throw err;
  }
}

function codeSource(language: string, source: string, trusted: boolean): string {
  if (!trusted)
    throw new CodeNotTrustedError(
      `the stored value is ${language} code; pass --trust-code to print its source (the CLI never runs it)`,
    );
  return source;
}

/** Reading code needs --trust-code: an error of the command line, not of the server. */
export class CodeNotTrustedError extends Error {
  override readonly name = "CodeNotTrustedError";
}

// JSON has no bigint, NaN or Infinity: they travel through JSON.stringify as marked strings
// and are written out bare afterwards.
const RAW = "\u0000raw:";

function readableJson(value: unknown, indent: number | undefined): string {
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === "bigint") return `${RAW}${v}`;
      if (typeof v === "number" && !Number.isFinite(v)) return `${RAW}${v}`;
      if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
      if (v instanceof Set) return [...v];
      if (v instanceof Map)
        return [...v.keys()].every((k) => typeof k === "string") ? Object.fromEntries(v) : [...v];
      if (v instanceof PyTimedelta) return `${v.days}d ${v.seconds}s ${v.microseconds}us`;
      if (v instanceof PyDate || v instanceof PyTime) return String(v);
      return v;
    },
    indent,
  );
  return text.replace(/"\\u0000raw:([^"]*)"/g, "$1");
}
