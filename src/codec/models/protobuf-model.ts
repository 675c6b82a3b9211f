import {
  create,
  type DescField,
  type DescMessage,
  fromJson,
  type Message,
  type JsonValue as ProtoJson,
  type Registry,
  toJson,
} from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import type { Validator } from "@bufbuild/protovalidate";
import type { FieldViolation } from "../../errors.js";
import type { JsonValue } from "../json-data.js";
import { fieldPath, indexPath, keyPath } from "./field-path.js";

/** What a protobuf model needs to validate: its message type, a registry for Any, a validator. */
export interface ProtobufModelContext {
  readonly desc: DescMessage;
  readonly registry: Registry;
  readonly validator: Validator;
}

/** A message, or why the value is not one. */
export type ProtobufResult =
  | { readonly ok: true; readonly message: Message }
  | { readonly ok: false; readonly violations: readonly FieldViolation[] };

/**
 * JSON → a message, strictly: unknown fields, wrong types and out-of-range
 * numbers are violations with the path of the offending field; then the
 * buf.validate rules. `validate: false` parses leniently (unknown fields
 * ignored) and skips the rules: for values known to be valid.
 */
export function parseProtobufJson(
  ctx: ProtobufModelContext,
  json: JsonValue,
  validate = true,
): ProtobufResult {
  let message: Message;
  try {
    message = fromJson(ctx.desc, json as ProtoJson, {
      ignoreUnknownFields: !validate,
      registry: ctx.registry,
    });
  } catch (err) {
    return { ok: false, violations: [locateJsonError(ctx, ctx.desc, json, "", err)] };
  }
  return validate ? checkRules(ctx, message) : { ok: true, message };
}

/** A message's buf.validate rules; violations carry protovalidate's field paths. */
export function checkRules(ctx: ProtobufModelContext, message: Message): ProtobufResult {
  const result = ctx.validator.validate(ctx.desc, message);
  switch (result.kind) {
    case "valid":
      return { ok: true, message };
    case "invalid":
      return {
        ok: false,
        violations: result.violations.map((v) => ({ field: pathToString(v.field), description: v.message })),
      };
    case "error":
      return {
        ok: false,
        violations: [{ field: "", description: `the model's rules failed: ${result.error.message}` }],
      };
  }
}

/** The model's canonical JSON (proto3 JSON, lowerCamelCase names, defaults omitted). */
export function protobufJson(ctx: ProtobufModelContext, message: Message): JsonValue {
  return toJson(ctx.desc, message, { registry: ctx.registry }) as JsonValue;
}

/** A message as the Any that a `message` value carries. */
export function protobufAny(ctx: ProtobufModelContext, message: Message): Any {
  return anyPack(ctx.desc, message);
}

/** An empty message of the model, to check at registration that its rules compile. */
export function checkRulesCompile(ctx: ProtobufModelContext): string | undefined {
  const result = ctx.validator.validate(ctx.desc, create(ctx.desc));
  return result.kind === "error" && result.error.name === "CompilationError"
    ? result.error.message
    : undefined;
}

/**
 * protobuf-es names the failing field but not where it sits, so narrow it
 * down: parse each key on its own, and descend into message fields until the
 * smallest failing part is found. Runs only for invalid input.
 */
function locateJsonError(
  ctx: ProtobufModelContext,
  desc: DescMessage,
  json: JsonValue,
  path: string,
  err: unknown,
): FieldViolation {
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).replace(/^\[\w+\] /, "");
  if (json === null || typeof json !== "object" || Array.isArray(json) || isCustomJson(desc)) {
    return { field: path, description: why(err) };
  }
  for (const [key, value] of Object.entries(json)) {
    try {
      fromJson(desc, { [key]: value } as ProtoJson, { registry: ctx.registry });
    } catch (keyErr) {
      const field = desc.fields.find((f) => f.jsonName === key || f.name === key);
      if (!field)
        return { field: fieldPath(path, key), description: `unknown field "${key}" in ${desc.typeName}` };
      return locateField(ctx, field, value, fieldPath(path, field.name), keyErr);
    }
  }
  return { field: path, description: why(err) };
}

function locateField(
  ctx: ProtobufModelContext,
  field: DescField,
  value: JsonValue,
  path: string,
  err: unknown,
): FieldViolation {
  const parseAs = (desc: DescMessage, json: JsonValue, at: string): FieldViolation | undefined => {
    try {
      fromJson(desc, json as ProtoJson, { registry: ctx.registry });
      return undefined;
    } catch (e) {
      return locateJsonError(ctx, desc, json, at, e);
    }
  };
  if (field.fieldKind === "message" && value !== null)
    return parseAs(field.message, value, path) ?? fallback(path, err);
  if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = parseAs(field.message, item, indexPath(path, i));
      if (found) return found;
    }
  }
  if (field.fieldKind === "map" && field.mapKind === "message" && isObject(value)) {
    for (const [k, item] of Object.entries(value)) {
      const found = parseAs(field.message, item, keyPath(path, k));
      if (found) return found;
    }
  }
  return fallback(path, err);
}

function fallback(path: string, err: unknown): FieldViolation {
  return { field: path, description: err instanceof Error ? err.message : String(err) };
}

const isObject = (v: JsonValue): v is { [key: string]: JsonValue } =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Well-known types whose JSON is not an object of their fields. */
function isCustomJson(desc: DescMessage): boolean {
  return desc.typeName.startsWith("google.protobuf.");
}
