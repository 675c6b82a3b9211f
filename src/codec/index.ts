export type { Codec, CodecName } from "./codec.js";
export { getCodec } from "./codec-registry.js";
export { type Data, data } from "./data.js";
export { deserialize, type StoredFormat } from "./deserialize.js";
export { dataToJson, isJsonExact, type JsonValue, jsonToData } from "./json-data.js";
export { type Serialized, serialize } from "./serialize.js";
export type { ModeName, TypedValue, ValueKind } from "./typed-value.js";
