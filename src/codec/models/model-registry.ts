import {
  create,
  createFileRegistry,
  type DescFile,
  type DescMessage,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import { AnykvError } from "../../errors.js";
import type { JsonValue } from "../json-data.js";
import { builtinFiles, messageNames } from "./descriptor-files.js";
import { fileDescriptorSet } from "./file-descriptor-set.js";
import { compileJsonSchema, type JsonSchemaValidator } from "./json-schema-model.js";

export type JsonObject = { readonly [key: string]: JsonValue };

/** What the registry is built from, and what persists: .proto files by name, JSON Schemas by model name. */
export interface ModelDefinitions {
  readonly files: ReadonlyMap<string, FileDescriptorProto>;
  readonly schemas: ReadonlyMap<string, JsonObject>;
}

export interface ProtobufModel {
  readonly kind: "protobuf";
  readonly name: string;
  /** The .proto file that defines the message. */
  readonly file: string;
  readonly desc: DescMessage;
  readonly registry: FileRegistry;
  readonly validator: Validator;
}

export interface JsonSchemaModel {
  readonly kind: "json-schema";
  readonly name: string;
  readonly schema: JsonObject;
  readonly validator: JsonSchemaValidator;
}

export type Model = ProtobufModel | JsonSchemaModel;

export interface ModelInfo {
  readonly name: string;
  readonly kind: Model["kind"];
  /** The defining .proto file; "" for JSON Schema models. */
  readonly file: string;
}

/**
 * An immutable snapshot of the registered models, built from their
 * definitions. Changes build a new snapshot (see model-changes.ts), so
 * readers never see a half-applied registration.
 */
export interface ModelRegistry {
  readonly definitions: ModelDefinitions;
  get(name: string): Model | undefined;
  /** Every model, sorted by name. */
  list(): ModelInfo[];
  /**
   * The registered .proto files (built-in ones not included), dependencies
   * first: what gRPC reflection serves besides anykv's own API.
   */
  files(): DescFile[];
  /** Every registered and built-in file, for resolving Any and for reflection's lookups. */
  readonly fileRegistry: FileRegistry;
}

export const emptyDefinitions: ModelDefinitions = { files: new Map(), schemas: new Map() };

/**
 * Links the files (each import must be registered or built in) and compiles
 * the schemas. `previous` lends its compiled schemas, so a registration
 * compiles only what changed. Broken definitions are INVALID_ARGUMENT.
 */
export function buildModelRegistry(definitions: ModelDefinitions, previous?: ModelRegistry): ModelRegistry {
  const ordered = orderFiles(definitions.files);
  let fileRegistry: FileRegistry;
  try {
    fileRegistry = createFileRegistry(
      create(FileDescriptorSetSchema, { file: [...builtinFileProtos(), ...ordered] }),
    );
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new AnykvError("INVALID_ARGUMENT", `the protobuf files do not link: ${why}`, { cause });
  }
  const validator = createValidator({ registry: fileRegistry });
  const models = new Map<string, Model>();
  const files: DescFile[] = [];
  for (const proto of ordered) {
    const file = fileRegistry.getFile(proto.name);
    if (!file) continue;
    files.push(file);
    for (const name of messageNames(proto)) {
      const desc = fileRegistry.getMessage(name);
      if (desc)
        models.set(name, {
          kind: "protobuf",
          name,
          file: proto.name,
          desc,
          registry: fileRegistry,
          validator,
        });
    }
  }
  for (const [name, schema] of definitions.schemas) {
    const before = previous?.get(name);
    const reuse = before?.kind === "json-schema" && before.schema === schema;
    models.set(
      name,
      reuse ? before : { kind: "json-schema", name, schema, validator: compileJsonSchema(name, schema) },
    );
  }
  const sorted = [...models.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    definitions,
    fileRegistry,
    get: (name) => models.get(name),
    list: () =>
      sorted.map((m) => ({ name: m.name, kind: m.kind, file: m.kind === "protobuf" ? m.file : "" })),
    files: () => [...files],
  };
}

/** The built-in files, dependencies first (createFileRegistry reads a set in order). */
function builtinFileProtos(): FileDescriptorProto[] {
  return fileDescriptorSet(...builtinFiles.values()).file;
}

/** Files in dependency order; a missing import is INVALID_ARGUMENT naming both files. */
function orderFiles(files: ReadonlyMap<string, FileDescriptorProto>): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (proto: FileDescriptorProto) => {
    const now = state.get(proto.name);
    if (now === "done") return;
    if (now === "visiting")
      throw new AnykvError("INVALID_ARGUMENT", `protobuf file "${proto.name}" imports itself`);
    state.set(proto.name, "visiting");
    for (const dep of proto.dependency) {
      if (builtinFiles.has(dep)) continue;
      const found = files.get(dep);
      if (!found) {
        throw new AnykvError(
          "INVALID_ARGUMENT",
          `protobuf file "${proto.name}" imports "${dep}", which is neither in the descriptor set nor registered`,
        );
      }
      visit(found);
    }
    state.set(proto.name, "done");
    ordered.push(proto);
  };
  for (const proto of files.values()) visit(proto);
  return ordered;
}
