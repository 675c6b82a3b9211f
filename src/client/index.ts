export type { ModeName } from "../codec/typed-value.js";
export type {
  BatchItem,
  BatchResult,
  DeleteItem,
  DeleteManyResult,
  DeletePrefixOptions,
  GetManyResult,
  ListedValue,
  ListValuesOptions,
  PutItem,
  PutManyResult,
  WriteConditions,
} from "./bulk-client.js";
export type {
  CallOptions,
  ListKeysOptions,
  RequestOptions,
  ValueOptions,
} from "./call-options.js";
export { type AnykvErrorInfo, errorInfo } from "./errors.js";
export type { KeyInfo } from "./key-info.js";
export type {
  ByteSource,
  DownloadOptions,
  LargeValueMethods,
  Progress,
  UploadOptions,
  UploadResult,
} from "./large-value-client.js";
export {
  createModelClient,
  type ModelClient,
  type ModelInfo,
  type RegisterOptions,
} from "./model-client.js";
export type { MessageModelOptions, ModelOptions } from "./model-values.js";
export { bytearray, frozenset, naiveDate, PyDate, PyTime, PyTimedelta, tuple } from "./python-types.js";
export type { StandardIssue, StandardResult, StandardSchemaV1 } from "./standard-schema.js";
export { type AnykvStore, createStore, type StoreClientOptions } from "./store-client.js";
export { createTransport, type Protocol, type TransportOptions } from "./transports.js";
export type { WatchEvent, WatchMethods, WatchOptions } from "./watch-client.js";
