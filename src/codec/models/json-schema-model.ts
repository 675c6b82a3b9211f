import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import { AnykvError, type FieldViolation } from "../../errors.js";
import type { JsonValue } from "../json-data.js";
import { fieldPath, pointerToPath } from "./field-path.js";

/** A compiled JSON Schema model. */
export interface JsonSchemaValidator {
  /** The draft the schema is read as. */
  readonly draft: "2020-12" | "2019-09" | "draft-07";
  /**
   * Validates a copy of `json`; defaults the schema declares are filled in (as pydantic's
   * model_dump includes them). Returns the completed value or the violations.
   */
  validate(json: JsonValue): { ok: true; value: JsonValue } | { ok: false; violations: FieldViolation[] };
}

const DRAFTS = {
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "http://json-schema.org/draft-07/schema": "draft-07",
} as const;

// Not strict: real schemas (pydantic's among them) carry annotations ajv's strict mode refuses.
const OPTIONS: Options = { allErrors: true, strict: false, useDefaults: true, validateFormats: true };

/**
 * Compiles a JSON Schema with ajv: `$schema` picks the draft (2020-12 when
 * absent, as pydantic writes it), formats come from ajv-formats. Each schema
 * gets its own ajv instance, so `$id`s of different models never collide.
 * An invalid schema is INVALID_ARGUMENT.
 */
export function compileJsonSchema(
  name: string,
  schema: { readonly [key: string]: JsonValue },
): JsonSchemaValidator {
  const declared = typeof schema.$schema === "string" ? schema.$schema.replace(/#$/, "") : undefined;
  const draft = declared === undefined ? "2020-12" : DRAFTS[declared as keyof typeof DRAFTS];
  if (draft === undefined) {
    throw new AnykvError(
      "INVALID_ARGUMENT",
      `JSON Schema model "${name}": unsupported $schema "${declared}"; use draft 2020-12, 2019-09 or 7`,
    );
  }
  const ajv =
    draft === "2020-12"
      ? new Ajv2020(OPTIONS)
      : draft === "2019-09"
        ? new Ajv2019(OPTIONS)
        : new Ajv(OPTIONS);
  formats.default(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new AnykvError("INVALID_ARGUMENT", `JSON Schema model "${name}" is not a valid schema: ${why}`, {
      cause,
    });
  }
  return {
    draft,
    validate(json) {
      const value = structuredClone(json);
      if (validate(value)) return { ok: true, value };
      return { ok: false, violations: (validate.errors ?? []).map(toViolation) };
    },
  };
}

/** An ajv error → a violation whose path names the offending field itself. */
function toViolation(error: ErrorObject): FieldViolation {
  const at = pointerToPath(error.instancePath);
  const params = error.params as { missingProperty?: unknown; additionalProperty?: unknown };
  if (error.keyword === "required" && typeof params.missingProperty === "string") {
    return { field: fieldPath(at, params.missingProperty), description: "is required" };
  }
  if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return { field: fieldPath(at, params.additionalProperty), description: "is not allowed (no such field)" };
  }
  return { field: at, description: error.message ?? `fails ${error.keyword}` };
}
