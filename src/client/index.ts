export type { ModeName } from "../codec/typed-value.js";
export { bytearray, frozenset, naiveDate, PyDate, PyTime, PyTimedelta, tuple } from "./python-types.js";
export {
  type AnykvStore,
  type CallOptions,
  createStore,
  type KeyInfo,
  type ListKeysOptions,
  type StoreClientOptions,
} from "./store-client.js";
export { createTransport, type Protocol } from "./transports.js";
