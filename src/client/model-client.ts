import { type DescFile, type DescMessage, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, createClient, type Transport } from "@connectrpc/connect";
import { ModelKind, ModelService, type ModelInfo as WireModelInfo } from "../../gen/anykv/v1/model_pb.js";
import { fileDescriptorSet } from "../codec/models/file-descriptor-set.js";

/** A registered model, as ListModels and RegisterModels describe it. */
export interface ModelInfo {
  readonly name: string;
  readonly kind: "protobuf" | "json-schema";
  /** The defining .proto file; "" for JSON Schema models. */
  readonly file: string;
}

export interface RegisterOptions {
  /**
   * Replace models registered under the same names with different definitions.
   * @default false (ALREADY_EXISTS when they differ)
   */
  readonly replace?: boolean;
}

/** anykv.v1.ModelService, with JavaScript types. */
export interface ModelClient {
  /** The generated client underneath. */
  readonly rpc: Client<typeof ModelService>;
  /** Registers every message type of the files of `schemas`, with the files they import. */
  register(
    schemas: DescMessage | DescFile | readonly (DescMessage | DescFile)[],
    options?: RegisterOptions,
  ): Promise<ModelInfo[]>;
  /** Registers a JSON Schema (pydantic's `model_json_schema()`, say) under `name`. */
  registerJsonSchema(name: string, schema: JsonObject, options?: RegisterOptions): Promise<ModelInfo[]>;
  /** Every registered model, sorted by name (all pages of ListModels). */
  list(): Promise<ModelInfo[]>;
  /** Deletes a model (a protobuf model with its whole file); returns the names removed. */
  delete(name: string): Promise<string[]>;
  /** Registers the file of `schema` once for this client; later calls share the first. */
  ensure(schema: DescMessage): Promise<void>;
}

/**
 * @param rpcOptions The store's deadline, headers and signal for each call (call-options.ts;
 *   passed in, so that this file needs nothing of the store client's).
 */
export function createModelClient(
  transport: Transport,
  rpcOptions: (call: undefined) => CallOptions = () => ({}),
): ModelClient {
  const rpc = createClient(ModelService, transport);
  const registered = new Map<string, Promise<unknown>>();
  const register: ModelClient["register"] = async (schemas, options = {}) => {
    const list = Array.isArray(schemas) ? schemas : [schemas as DescMessage | DescFile];
    const files = list.map((s) => (s.kind === "file" ? s : s.file));
    const set = fileDescriptorSet(...files);
    const res = await rpc.registerModels(
      { descriptorSet: toBinary(FileDescriptorSetSchema, set), replace: options.replace ?? false },
      rpcOptions(undefined),
    );
    return res.models.map(toModelInfo);
  };
  return {
    rpc,
    register,
    async registerJsonSchema(name, schema, options = {}) {
      const res = await rpc.registerModels(
        { jsonSchemas: [{ name, schema }], replace: options.replace ?? false },
        rpcOptions(undefined),
      );
      return res.models.map(toModelInfo);
    },
    async list() {
      // Every page: ListModels answers at most 1000 models per call.
      const all: ModelInfo[] = [];
      let pageToken = "";
      do {
        const res = await rpc.listModels({ pageSize: 1000n, pageToken }, rpcOptions(undefined));
        all.push(...res.models.map(toModelInfo));
        pageToken = res.nextPageToken;
      } while (pageToken !== "");
      return all;
    },
    async delete(name) {
      return (await rpc.deleteModel({ name }, rpcOptions(undefined))).removed;
    },
    async ensure(schema) {
      let done = registered.get(schema.file.name);
      if (!done) {
        done = register(schema);
        registered.set(schema.file.name, done);
        // A failed registration is retried by the next call.
        done.catch(() => registered.delete(schema.file.name));
      }
      await done;
    },
  };
}

function toModelInfo(info: WireModelInfo): ModelInfo {
  return {
    name: info.name,
    kind: info.kind === ModelKind.JSON_SCHEMA ? "json-schema" : "protobuf",
    file: info.file,
  };
}
