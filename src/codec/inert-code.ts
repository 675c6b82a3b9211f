import { containsCode, type Data } from "./data.js";
import { codeMarkerEntries } from "./pickle/writer-checks.js";
import type { TypedValue } from "./typed-value.js";

/**
 * A decoded value with every code value turned back into the plain dict it is
 * pickled as (`{"__anykv_code__": {"language", "source"}}`), as Python sees it
 * without anykv. Reads use it wherever code is not allowed to come out: a
 * server without --allow-code, and bytes that anykv's own pickle writer did
 * not write (raw puts, Upload, the anystore API), so code can only come back
 * from a value that was put as code.
 */
export function inertCode(value: TypedValue): TypedValue {
  if (value.kind !== "code" && value.kind !== "data") return value;
  if (!containsCode(value.data)) return value;
  return { kind: "data", data: asDict(value.data) };
}

function asDict(value: Data): Data {
  switch (value.type) {
    case "code":
      return { type: "dict", entries: codeMarkerEntries(value.language, value.source) };
    case "list":
    case "tuple":
    case "set":
    case "frozenset":
      return { type: value.type, items: value.items.map(asDict) };
    case "dict":
      return { type: "dict", entries: value.entries.map(([k, v]) => [asDict(k), asDict(v)] as const) };
    default:
      return value;
  }
}
