import { type Any, anyUnpack } from "@bufbuild/protobuf/wkt";
import { AnykvError, type FieldViolation } from "../../errors.js";
import { anyFromData, anyToData } from "../any-data.js";
import { type JsonValue, jsonToData } from "../json-data.js";
import type { TypedValue } from "../typed-value.js";
import { modelJson } from "./model-json.js";
import type { Model, ProtobufModel } from "./model-registry.js";
import { checkRules, parseProtobufJson, protobufAny, protobufJson } from "./protobuf-model.js";

/** What a put with a model stores: the model's canonical JSON, and the kind to record. */
export interface ModelPut {
  readonly json: JsonValue;
  readonly kind: "message" | "json";
}

/**
 * Validates a put's value against `model`. A `message` value must be an Any
 * of the model's type; `json` and `data` values must be shaped like the model
 * (a `text` value is a JSON string, for JSON Schema models of strings).
 * Invalid values are INVALID_VALUE with the violations; the message names
 * the first.
 */
export function modelPut(model: Model, value: TypedValue, key: string): ModelPut {
  const invalid = (violations: readonly FieldViolation[]) =>
    violationError("INVALID_VALUE", key, model, violations);
  if (value.kind === "raw" || value.kind === "code") {
    throw new AnykvError(
      "INVALID_VALUE",
      `cannot validate a ${value.kind} value against model "${model.name}": send json, data or message`,
    );
  }
  if (model.kind === "json-schema") {
    if (value.kind === "message") {
      throw new AnykvError(
        "INVALID_VALUE",
        `model "${model.name}" is a JSON Schema: send the value as json or data, not as a protobuf message`,
      );
    }
    const checked = model.validator.validate(modelJson(value.data));
    if (!checked.ok) throw invalid(checked.violations);
    return { json: checked.value, kind: "json" };
  }
  if (value.kind === "message") {
    const message = unpack(model, anyFromData(value.data), key);
    const checked = checkRules(model, message);
    if (!checked.ok) throw invalid(checked.violations);
    return { json: protobufJson(model, checked.message), kind: "message" };
  }
  const parsed = parseProtobufJson(
    model,
    modelJson(value.data, { bigIntAsString: true, protobufDurations: true }),
  );
  if (!parsed.ok) throw invalid(parsed.violations);
  return { json: protobufJson(model, parsed.message), kind: "message" };
}

/**
 * A stored value (decoded to JSON) as an instance of `model`: a `message`
 * for protobuf models, `json` for JSON Schema ones. With `validate`, data that
 * no longer fits the model is DECODE_FAILED (FAILED_PRECONDITION) with the
 * violations; without, protobuf JSON is read leniently and schemas are not checked.
 */
export function modelGet(model: Model, json: JsonValue, validate: boolean, key: string): TypedValue {
  const mismatch = (violations: readonly FieldViolation[]) =>
    violationError("DECODE_FAILED", key, model, violations);
  if (model.kind === "json-schema") {
    if (!validate) return { kind: "json", data: jsonToData(json) };
    const checked = model.validator.validate(json);
    if (!checked.ok) throw mismatch(checked.violations);
    return { kind: "json", data: jsonToData(checked.value) };
  }
  const parsed = parseProtobufJson(model, json, validate);
  if (!parsed.ok) throw mismatch(parsed.violations);
  return { kind: "message", data: anyToData(protobufAny(model, parsed.message)) };
}

function unpack(model: ProtobufModel, any: Any, key: string) {
  const typeName = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
  if (typeName !== model.name) {
    throw new AnykvError(
      "INVALID_VALUE",
      `cannot store key "${key}" with model "${model.name}": the message is a ${typeName || "(no type URL)"}`,
    );
  }
  try {
    const message = anyUnpack(any, model.desc);
    if (message) return message;
  } catch (cause) {
    throw violationError("INVALID_VALUE", key, model, [{ field: "", description: String(cause) }]);
  }
  throw violationError("INVALID_VALUE", key, model, [
    { field: "", description: "the message does not decode" },
  ]);
}

function violationError(
  code: "INVALID_VALUE" | "DECODE_FAILED",
  key: string,
  model: Model,
  violations: readonly FieldViolation[],
): AnykvError {
  const first = violations[0];
  const where = first?.field ? `${first.field}: ` : "";
  const what = code === "INVALID_VALUE" ? "is not a valid" : "holds data that is not a valid";
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : "";
  return new AnykvError(
    code,
    `key "${key}" ${what} ${model.name}: ${where}${first?.description ?? "invalid"}${more}`,
    { details: violations },
  );
}
