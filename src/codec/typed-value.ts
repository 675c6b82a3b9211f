import type { Data } from "./data.js";

/** The kinds of `anykv.v1.Value`, as recorded in each key's metadata. */
export type ValueKind = "raw" | "text" | "json" | "data" | "message" | "code";

export const valueKinds: readonly ValueKind[] = ["raw", "text", "json", "data", "message", "code"];

export function isValueKind(kind: string): kind is ValueKind {
  return (valueKinds as readonly string[]).includes(kind);
}

/**
 * A value on its way between the wire and a codec: what it is (the kind the
 * caller put, and gets back in auto mode) and its content as a data tree.
 * raw → bytes, text → str, json → a JSON-shaped tree, code → code.
 */
export interface TypedValue {
  readonly kind: ValueKind;
  readonly data: Data;
}

/** Serialization modes (`anykv.v1.Mode` without UNSPECIFIED). */
export type ModeName = "auto" | "raw" | "json" | "pickle";
