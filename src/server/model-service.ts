import { type JsonObject as ProtoJsonObject, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ModelKind,
  type ModelService,
  type ModelInfo as WireModelInfo,
} from "../../gen/anykv/v1/model_pb.js";
import {
  fileDescriptorSet,
  type JsonObject,
  type ModelInfo,
  parseDescriptorSet,
} from "../codec/models/index.js";
import type { Models } from "./models.js";

const KINDS: Record<ModelInfo["kind"], ModelKind> = {
  protobuf: ModelKind.PROTOBUF,
  "json-schema": ModelKind.JSON_SCHEMA,
};

/**
 * anykv.v1.ModelService over the server's models. Handlers throw AnykvErrors;
 * the error interceptor maps them (conflicts are ALREADY_EXISTS).
 */
export function createModelService(models: Models): ServiceImpl<typeof ModelService> {
  return {
    async registerModels(req) {
      const registered = await models.register({
        files: parseDescriptorSet(req.descriptorSet),
        schemas: req.jsonSchemas.map((s) => [s.name, (s.schema ?? {}) as JsonObject] as const),
        replace: req.replace,
      });
      return { models: registered.map(toWire) };
    },

    async listModels(req) {
      const all = models.current().list();
      const kind = req.kind;
      return {
        models: all.filter((m) => kind === ModelKind.UNSPECIFIED || KINDS[m.kind] === kind).map(toWire),
      };
    },

    async getModel(req) {
      await models.refresh([req.name]);
      const model = models.get(req.name);
      const info = toWire({
        name: model.name,
        kind: model.kind,
        file: model.kind === "protobuf" ? model.file : "",
      });
      if (model.kind === "json-schema") {
        return { info, definition: { case: "jsonSchema", value: model.schema as ProtoJsonObject } };
      }
      const set = fileDescriptorSet(model.desc.file);
      return {
        info,
        definition: { case: "descriptorSet", value: toBinary(FileDescriptorSetSchema, set) },
      };
    },

    async deleteModel(req) {
      const removed = await models.delete(req.name);
      return { deleted: removed !== undefined, removed: (removed ?? []).map((m) => m.name) };
    },
  };
}

function toWire(info: ModelInfo): Pick<WireModelInfo, "name" | "kind" | "file"> {
  return { name: info.name, kind: KINDS[info.kind], file: info.file };
}
