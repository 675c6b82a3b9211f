export { builtinFiles, normalizeFile, parseDescriptorSet, sameFile } from "./descriptor-files.js";
export { fileDescriptorSet } from "./file-descriptor-set.js";
export { compileJsonSchema, type JsonSchemaValidator } from "./json-schema-model.js";
export { type ModelChange, planDeletion, planRegistration, type Registration } from "./model-changes.js";
export { modelJson } from "./model-json.js";
export {
  buildModelRegistry,
  emptyDefinitions,
  type JsonObject,
  type JsonSchemaModel,
  type Model,
  type ModelDefinitions,
  type ModelInfo,
  type ModelRegistry,
  type ProtobufModel,
} from "./model-registry.js";
export { type ModelPut, modelGet, modelPut } from "./model-value.js";
