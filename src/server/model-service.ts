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
import { AnykvError } from "../errors.js";
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

    // Pages of at most 1000 models, sorted by name; the token is the last name sent (opaque to
    // clients: base64url), so a page follows on whatever was registered or deleted meanwhile.
    async listModels(req) {
      await models.refresh([]); // other servers' changes (the catalog's version)
      const after = req.pageToken === "" ? undefined : pageTokenName(req.pageToken);
      const size = Math.min(Number(req.pageSize) || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      const selected = models
        .current()
        .list()
        .filter((m) => req.kind === ModelKind.UNSPECIFIED || KINDS[m.kind] === req.kind)
        .filter((m) => after === undefined || m.name > after);
      const page = selected.slice(0, size);
      const last = page.at(-1);
      return {
        models: page.map(toWire),
        nextPageToken: selected.length > size && last ? Buffer.from(last.name).toString("base64url") : "",
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

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

function pageTokenName(token: string): string {
  const name = Buffer.from(token, "base64url").toString("utf8");
  if (name === "" || Buffer.from(name).toString("base64url") !== token)
    throw new AnykvError("INVALID_ARGUMENT", "page_token is not a next_page_token of ListModels");
  return name;
}

function toWire(info: ModelInfo): Pick<WireModelInfo, "name" | "kind" | "file"> {
  return { name: info.name, kind: KINDS[info.kind], file: info.file };
}
