import { option, optionGroup } from "./option.js";
import { boolean, bytes, integer, list, oneOf, text } from "./option-kinds.js";

/** What values may be and how requests are answered by default. */
export const valueOptions = optionGroup("Values", {
  /** Mode of requests that leave it unspecified. */
  defaultMode: option({
    flag: "default-mode",
    kind: oneOf(["auto", "raw", "json", "pickle"], "MODE"),
    default: "auto",
    help: "mode of requests that leave it unspecified",
  }),
  /** Store nulls; when false a put of null is skipped. */
  storeNoneValues: option({
    flag: "store-none-values",
    kind: boolean(),
    default: true,
    help: "skip puts of null (--no-store-none is the old spelling)",
    aliases: { "no-store-none": false },
  }),
  /** A get of a missing key is NOT_FOUND unless the request says otherwise. */
  raiseOnNonexist: option({
    flag: "raise-on-nonexist",
    kind: boolean(),
    default: true,
    help: "a get of a missing key answers no value rather than NOT_FOUND, unless the request says",
  }),
  /** Longest key in UTF-8 bytes (store.proto allows 4096 at most). */
  maxKeyBytes: option({ flag: "max-key-bytes", kind: integer(1, 4096), default: 1024, help: "longest key" }),
  /** Deepest nesting of a value. */
  maxDepth: option({
    flag: "max-depth",
    kind: integer(1, 10_000),
    default: 64,
    help: "deepest nesting of a value (RESOURCE_EXHAUSTED beyond)",
  }),
  /** Largest request message in bytes (RESOURCE_EXHAUSTED beyond it). */
  maxMessageBytes: option({
    flag: "max-message-bytes",
    kind: bytes(1024, 2 ** 31 - 1),
    default: 4 * 1024 * 1024,
    help: "largest request message (RESOURCE_EXHAUSTED beyond)",
  }),
  /** Most items (keys, puts, deletes, ops) in one GetMany, PutMany, DeleteMany or Batch. */
  maxBatchSize: option({
    flag: "max-batch-size",
    kind: integer(1),
    default: 1000,
    help: "most items of a GetMany, PutMany, DeleteMany or Batch",
  }),
  /**
   * Serialized FileDescriptorSets (`buf build -o models.binpb`) whose message types are
   * registered as models at start-up, replacing stored versions of the same files.
   */
  models: option({
    flag: "models",
    kind: list("FILE.binpb"),
    default: [],
    help: "register the message types of descriptor sets (comma-separated, repeatable)",
  }),
  /** Model of puts and gets that name none (anystore's store-wide model); "" for none. */
  defaultModel: option({
    flag: "default-model",
    kind: text("NAME"),
    default: "",
    defaultText: "none",
    help: "model of puts and gets that name none",
  }),
  /**
   * Store and serve code values (functions). Off, puts of code answer PERMISSION_DENIED and
   * stored code reads as the plain dict it is pickled as.
   */
  allowCode: option({
    flag: "allow-code",
    kind: boolean(),
    default: false,
    help: "store and serve functions (code values; off: PERMISSION_DENIED)",
    aliases: { "no-code": false },
  }),
});
