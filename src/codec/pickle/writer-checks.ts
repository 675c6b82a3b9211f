import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import { CODE_MARKER_KEY } from "./freeze.js";

/** The writer's refusals and the small value helpers around them. */

export function invalid(message: string): AnykvError {
  return new AnykvError("INVALID_VALUE", `cannot pickle: ${message}`);
}

/** Adds `value`; false if it was already there. */
export function addNew<T>(set: Set<T>, value: T): boolean {
  if (set.has(value)) return false;
  set.add(value);
  return true;
}

const str = (value: string): Data => ({ type: "str", value });

/** The plain dict a code value is pickled as, so that Python loads it without anykv installed. */
export function codeMarkerEntries(language: string, source: string): readonly (readonly [Data, Data])[] {
  const fields: Data = {
    type: "dict",
    entries: [
      [str("language"), str(language)],
      [str("source"), str(source)],
    ],
  };
  return [[str(CODE_MARKER_KEY), fields]];
}

/** Whether a plain dict has the code marker's shape, which the reader would turn into a code value. */
export function looksLikeCodeMarker(entries: readonly (readonly [Data, Data])[]): boolean {
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) return false;
  const [key, value] = entry;
  if (
    key.type !== "str" ||
    key.value !== CODE_MARKER_KEY ||
    value.type !== "dict" ||
    value.entries.length !== 2
  ) {
    return false;
  }
  const names = new Set(value.entries.map(([k, v]) => (k.type === "str" && v.type === "str" ? k.value : "")));
  return names.has("language") && names.has("source");
}

/** A short description of a value for messages (type and, for scalars, a clipped repr). */
export function describe(d: Data): string {
  switch (d.type) {
    case "str":
      return `str ${JSON.stringify(d.value.length > 40 ? `${d.value.slice(0, 40)}…` : d.value)}`;
    case "int":
    case "float":
    case "bool":
      return `${d.type} ${String(d.value)}`;
    default:
      return d.type;
  }
}
