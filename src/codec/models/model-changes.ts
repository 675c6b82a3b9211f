import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { AnykvError } from "../../errors.js";
import type { JsonValue } from "../json-data.js";
import { messageNames, sameFile } from "./descriptor-files.js";
import {
  buildModelRegistry,
  type JsonObject,
  type ModelDefinitions,
  type ModelInfo,
  type ModelRegistry,
} from "./model-registry.js";
import { checkRulesCompile } from "./protobuf-model.js";

/** A registration or deletion, worked out before anything is stored. */
export interface ModelChange {
  /** The registry after the change. */
  readonly next: ModelRegistry;
  /** Files and schemas to store (new or replaced). */
  readonly putFiles: readonly FileDescriptorProto[];
  readonly putSchemas: readonly (readonly [string, JsonObject])[];
  /** Files and schemas to remove. */
  readonly deleteFiles: readonly string[];
  readonly deleteSchemas: readonly string[];
  /** The models the request names (registration) or removes (deletion). */
  readonly models: readonly ModelInfo[];
}

export interface Registration {
  readonly files: readonly FileDescriptorProto[];
  readonly schemas: readonly (readonly [string, JsonObject])[];
  readonly replace: boolean;
}

const NAME = /^[A-Za-z0-9._\-/]{1,256}$/;

/**
 * Plans a registration. Identical definitions change nothing; a changed file
 * or schema under a registered name is MODEL_EXISTS unless `replace`; a
 * model name that two files (or a file and a JSON Schema) would both define
 * is MODEL_EXISTS even with `replace`: delete the old one first.
 */
export function planRegistration(current: ModelRegistry, input: Registration): ModelChange {
  const files = new Map(current.definitions.files);
  const schemas = new Map(current.definitions.schemas);
  const putFiles: FileDescriptorProto[] = [];
  const putSchemas: (readonly [string, JsonObject])[] = [];
  const owner = new Map<string, string>(); // model name → file, for every registered message
  for (const [name, proto] of files) for (const model of messageNames(proto)) owner.set(model, name);

  for (const proto of input.files) {
    const existing = files.get(proto.name);
    if (existing && sameFile(existing, proto)) continue;
    if (existing && !input.replace) {
      throw new AnykvError(
        "MODEL_EXISTS",
        `protobuf file "${proto.name}" is registered with a different definition (models ${messageNames(existing).join(", ")}); set replace to change it`,
      );
    }
    for (const model of messageNames(proto)) {
      const other = owner.get(model);
      if (other !== undefined && other !== proto.name) {
        throw new AnykvError(
          "MODEL_EXISTS",
          `model "${model}" is already defined by protobuf file "${other}"; delete it before registering "${proto.name}"`,
        );
      }
      if (schemas.has(model)) throw conflictAcrossKinds(model);
    }
    files.set(proto.name, proto);
    putFiles.push(proto);
  }
  for (const [name, schema] of input.schemas) {
    if (!NAME.test(name)) {
      throw new AnykvError(
        "INVALID_ARGUMENT",
        `model name "${name}" is not 1 to 256 letters, digits, ".", "_", "-" or "/"`,
      );
    }
    if (owner.has(name) || putFiles.some((f) => messageNames(f).includes(name)))
      throw conflictAcrossKinds(name);
    const existing = schemas.get(name);
    if (existing && canonical(existing) === canonical(schema)) continue;
    if (existing && !input.replace) {
      throw new AnykvError(
        "MODEL_EXISTS",
        `JSON Schema model "${name}" is registered with a different schema; set replace to change it`,
      );
    }
    schemas.set(name, schema);
    putSchemas.push([name, schema]);
  }

  const next = buildModelRegistry({ files, schemas }, current);
  for (const proto of putFiles) checkRules(next, proto);
  const named = new Set([...input.files.flatMap(messageNames), ...input.schemas.map(([n]) => n)]);
  return {
    next,
    putFiles,
    putSchemas,
    deleteFiles: [],
    deleteSchemas: [],
    models: next.list().filter((m) => named.has(m.name)),
  };
}

/**
 * Plans a deletion: a JSON Schema model alone, a protobuf model with its
 * whole file (FAILED_PRECONDITION while another file imports it). Undefined
 * when no such model is registered.
 */
export function planDeletion(current: ModelRegistry, name: string): ModelChange | undefined {
  const model = current.get(name);
  if (!model) return undefined;
  const files = new Map(current.definitions.files);
  const schemas = new Map(current.definitions.schemas);
  if (model.kind === "json-schema") {
    schemas.delete(name);
    return change(current, { files, schemas }, [], [name], [{ name, kind: model.kind, file: "" }]);
  }
  const importers = [...files.values()].filter((f) => f.dependency.includes(model.file)).map((f) => f.name);
  if (importers.length > 0) {
    throw new AnykvError(
      "MODEL_IN_USE",
      `model "${name}" is defined by "${model.file}", which ${importers.join(", ")} import; delete those first`,
    );
  }
  const removed = current.list().filter((m) => m.kind === "protobuf" && m.file === model.file);
  files.delete(model.file);
  return change(current, { files, schemas }, [model.file], [], removed);
}

function change(
  current: ModelRegistry,
  definitions: ModelDefinitions,
  deleteFiles: string[],
  deleteSchemas: string[],
  models: ModelInfo[],
): ModelChange {
  const next = buildModelRegistry(definitions, current);
  return { next, putFiles: [], putSchemas: [], deleteFiles, deleteSchemas, models };
}

function checkRules(registry: ModelRegistry, proto: FileDescriptorProto): void {
  for (const name of messageNames(proto)) {
    const model = registry.get(name);
    if (model?.kind !== "protobuf") continue;
    const problem = checkRulesCompile(model);
    if (problem) {
      throw new AnykvError(
        "INVALID_ARGUMENT",
        `model "${name}" has buf.validate rules that do not compile: ${problem}`,
      );
    }
  }
}

function conflictAcrossKinds(name: string): AnykvError {
  return new AnykvError(
    "MODEL_EXISTS",
    `model "${name}" would be both a protobuf message and a JSON Schema; delete the registered one first`,
  );
}

/** JSON with sorted keys, to compare schemas whatever their key order. */
function canonical(value: JsonValue | JsonObject): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
