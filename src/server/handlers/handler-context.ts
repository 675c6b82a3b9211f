import type { Duration } from "@bufbuild/protobuf/wkt";
import type { KeyInfo, Mode, Value } from "../../../gen/anykv/v1/value_pb.js";
import type { WriteGate } from "../../backend/write-gate.js";
import { anyFromData } from "../../codec/any-data.js";
import { getCodec } from "../../codec/codec-registry.js";
import { containsCode } from "../../codec/data.js";
import { type JsonValue, jsonToData } from "../../codec/json-data.js";
import { type Model, modelGet, modelJson, modelPut } from "../../codec/models/index.js";
import { defaultPickleLimits, type PickleLimits } from "../../codec/pickle/index.js";
import { serialize } from "../../codec/serialize.js";
import type { ModeName, TypedValue } from "../../codec/typed-value.js";
import { type DataLimits, defaultDataLimits } from "../../codec/wire-data.js";
import { checkJsonDepth, valueToWire } from "../../codec/wire-value.js";
import { AnykvError } from "../../errors.js";
import type { Entry, PutInput, PutOptions, Store } from "../../store/store.js";
import { createDecodePool, type Decoder } from "../decode/decode-pool.js";
import { keyInfo } from "../key-info.js";
import type { Models } from "../models.js";
import { modeName } from "../modes.js";
import type { WatchEncodeStats } from "./watch-handlers.js";

/** What the StoreService handlers need. */
export interface StoreServiceDeps {
  readonly store: Store;
  /**
   * Mode used when a request leaves it unspecified.
   * @default "auto"
   */
  readonly defaultMode?: ModeName;
  /**
   * Whether a get of a missing key is NOT_FOUND when the request does not say.
   * @default true
   */
  readonly raiseOnNonexist?: boolean;
  /** Limits on values that come off the wire. */
  readonly dataLimits?: DataLimits;
  /**
   * Limits on what a stored value may decode to (LIMIT_EXCEEDED beyond); unset fields keep
   * the pickle reader's defaults.
   */
  readonly decodeLimits?: Partial<PickleLimits>;
  /**
   * Where stored values are decoded (the server's pool of threads).
   * @default every value on the event loop
   */
  readonly decoder?: Decoder;
  /** Counters of Watch's encoding, kept up to date by the handlers. */
  readonly watchStats?: WatchEncodeStats;
  /**
   * Most items (keys, puts, deletes, ops) in one GetMany, PutMany, DeleteMany or Batch;
   * RESOURCE_EXHAUSTED beyond.
   * @default 1000
   */
  readonly maxBatchSize?: number;
  /**
   * The registered models (ModelService). Without them every model name is MODEL_NOT_FOUND.
   * @default none
   */
  readonly models?: Models;
  /**
   * Model of puts and gets that name none (anystore's store-wide model); "" for none.
   * @default ""
   */
  readonly defaultModel?: string;
  /**
   * Store and serve code values (functions) (`--allow-code`). False refuses them with
   * PERMISSION_DENIED, and reads answer stored code as the plain dict it is pickled as.
   * Even when true, only values put as code come back as code: never bytes that anykv's
   * pickle writer did not write (raw puts, Upload, the anystore API).
   * @default false
   */
  readonly allowCode?: boolean;
  /**
   * Largest value Get assembles from chunks (values stored by Upload); RESOURCE_EXHAUSTED
   * beyond, naming Download.
   * @default 4128768 (4 MiB less 64 KiB for the rest of the message)
   */
  readonly maxGetBytes?: number;
  /**
   * The server refuses writes (`--readonly`); the backend refuses them all, this lets a
   * handler refuse before it reads a request stream (Restore).
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Gives Restore the backend to itself while it applies a backup (WriteGate.exclusive);
   * without it, the server's other writes interleave with a restore's.
   */
  readonly exclusiveWrites?: WriteGate["exclusive"];
}

/** Options of a write: the store's, and the request's model. */
export interface WriteOptions extends PutOptions {
  /**
   * The request's model field; "" means the store's default model. Leave it out for writes
   * that models do not apply to (Touch).
   */
  readonly model?: string | undefined;
}

/** The answer of Get and Pop (and of each item of the *Many reads). */
export interface ReadResponse {
  readonly found: boolean;
  readonly value?: Value;
  readonly info?: KeyInfo;
}

/** The fields a read request shares. */
export interface ReadRequest {
  readonly namespace: string;
  readonly key: string;
  readonly mode: Mode;
  readonly model: string;
  readonly raiseOnNonexist?: boolean | undefined;
  /** Validate against the model on read (default true). */
  readonly modelValidate?: boolean | undefined;
}

/**
 * The value pipeline every handler shares: request → codec → store on the
 * way in, store → codec → response on the way out. One place, so that Put,
 * Touch and batch writes (and Get, Pop and batch reads) cannot drift apart.
 */
export interface HandlerContext {
  readonly store: Store;
  readonly limits: DataLimits;
  /** Most items of one GetMany, PutMany, DeleteMany or Batch. */
  readonly maxBatchSize: number;
  mode(mode: Mode): ModeName;
  /**
   * Serializes a value for a put without storing it (Put, PutMany and Batch
   * share it); a refused value throws. `key` is normalized. `model` is the request's model
   * field ("" for the default model; leave it out where models do not apply): the value is
   * validated and stored as the model's JSON.
   */
  encode(key: string, value: TypedValue, mode: ModeName, model?: string): PutInput;
  /**
   * Bytes that arrive without a kind (the anystore API's PUT): stored as they are, without kind
   * metadata, like imported data; when a model applies (the default model) they must be JSON,
   * which is validated and stored as the model's JSON, as Put stores a json value.
   */
  encodeImported(key: string, bytes: Uint8Array): PutInput;
  /**
   * Whether bytes without a kind must be read whole (encodeImported): a default model applies to
   * them, so they must be JSON that fits it. Otherwise they may be stored as they stream in.
   */
  readonly importsWhole: boolean;
  /**
   * Refuses, before any byte is read, a raw value that Put would refuse (Upload stores raw bytes:
   * a server with a default model stores only values that fit it).
   */
  checkRawValue(key: string): void;
  /** Serializes and stores a value; refused writes throw before the store is touched. */
  write(
    namespace: string,
    key: string,
    value: TypedValue,
    mode: ModeName,
    options?: WriteOptions,
  ): Promise<Entry>;
  /**
   * Decodes an entry for a read response; with a model (or a default one), as a validated
   * instance. Large values are decoded on a worker thread (decode/decode-pool.ts).
   */
  read(entry: Entry, req: Pick<ReadRequest, "mode" | "model" | "modelValidate">): Promise<ReadResponse>;
  /**
   * The entry with its whole value in memory: a chunked value is read chunk by chunk and
   * joined, up to maxGetBytes (LIMIT_EXCEEDED beyond, naming Download).
   */
  whole(entry: Entry): Promise<Entry>;
  /** The answer for a missing key: NOT_FOUND, or found=false when the request allows it. */
  missing(req: Pick<ReadRequest, "namespace" | "key" | "raiseOnNonexist">): ReadResponse;
}

/** Handlers built without a pool (tests with createRouterTransport) decode on the event loop. */
const inlineDecoder = createDecodePool({ threads: 0 });

export function createHandlerContext(deps: StoreServiceDeps): HandlerContext {
  const { store } = deps;
  const defaultMode = deps.defaultMode ?? "auto";
  const raiseByDefault = deps.raiseOnNonexist ?? true;
  const mode = (m: Mode) => modeName(m, defaultMode);
  const defaultModel = deps.defaultModel ?? "";
  const decodeLimits: PickleLimits = { ...defaultPickleLimits, ...deps.decodeLimits };
  const allowCode = deps.allowCode ?? false;
  // Code comes out of a read only on a server that allows it, and only from bytes that
  // anykv's own pickle writer wrote (it refuses plain dicts shaped like the code marker).
  const decoder = deps.decoder ?? inlineDecoder;
  const task = (entry: Entry, readMode: ModeName) => ({
    bytes: entry.value,
    stored: { codec: entry.meta.codec, kind: entry.meta.kind },
    mode: readMode,
    key: entry.key,
    limits: decodeLimits,
    keepCode: allowCode && entry.meta.codec === "pickle",
  });
  const lookup = (name: string): Model => {
    if (!deps.models) throw new AnykvError("MODEL_NOT_FOUND", `model "${name}" is not registered`);
    return deps.models.get(name);
  };
  const encode = (key: string, value: TypedValue, putMode: ModeName, model?: string): PutInput => {
    if (!allowCode && containsCode(value.data)) {
      throw new AnykvError(
        "FORBIDDEN",
        `cannot store key "${key}": the value holds code, and this server refuses code values (start it with --allow-code to store them)`,
      );
    }
    const name = model === undefined ? "" : model || defaultModel;
    if (name || value.kind === "message")
      return encodeModel(key, value, putMode, lookup(name || typeName(value)));
    const serialized = serialize(value, putMode, key);
    return {
      value: serialized.bytes,
      codec: serialized.codec,
      kind: value.kind,
      model: "",
      contentType: serialized.contentType,
    };
  };
  const limits = deps.dataLimits ?? defaultDataLimits;
  return {
    store,
    limits,
    maxBatchSize: deps.maxBatchSize ?? 1000,
    mode,
    encode,
    importsWhole: defaultModel !== "",
    encodeImported(key, bytes) {
      if (!defaultModel) return { value: bytes, codec: "", kind: "", model: "", contentType: "" };
      let json: JsonValue;
      try {
        json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as JsonValue;
      } catch {
        throw new AnykvError(
          "INVALID_VALUE",
          `cannot store key "${key}": the server applies model "${defaultModel}" to every value (--default-model), and the body is not JSON`,
        );
      }
      return encode(key, { kind: "json", data: jsonToData(checkJsonDepth(json, limits)) }, "auto", "");
    },
    checkRawValue(key) {
      if (defaultModel)
        throw new AnykvError(
          "INVALID_VALUE",
          `cannot store key "${key}" as raw bytes: the server applies model "${defaultModel}" to every value (--default-model); put JSON with Put instead`,
        );
    },
    async write(namespace, rawKey, value, putMode, options) {
      const key = store.key(rawKey);
      const { model, ...putOptions } = options ?? {};
      return store.put(namespace, key, encode(key, value, putMode, model), putOptions);
    },
    async whole(entry) {
      const manifest = entry.meta.chunks;
      if (!manifest) return entry;
      if (manifest.size > (deps.maxGetBytes ?? 4 * 1024 * 1024 - 64 * 1024)) throw tooLarge(entry);
      const value = new Uint8Array(manifest.size);
      let offset = 0;
      for await (const chunk of store.chunks(entry)) {
        value.set(chunk, offset);
        offset += chunk.length;
      }
      return { ...entry, value, meta: { ...entry.meta, chunks: undefined } };
    },
    async read(entry, req) {
      if (entry.meta.chunks) throw tooLarge(entry);
      const name = req.model || defaultModel;
      const readMode = mode(req.mode);
      if (!name)
        return { found: true, value: await decoder.wire(task(entry, readMode)), info: keyInfo(entry) };
      const model = lookup(name);
      if (readMode === "raw") {
        throw new AnykvError(
          "INVALID_ARGUMENT",
          `mode raw returns the stored bytes and cannot read model "${name}"`,
        );
      }
      const decoded = await decoder.typed(task(entry, readMode));
      const json = modelJson(decoded.data, {
        bigIntAsString: true,
        protobufDurations: model.kind === "protobuf",
      });
      const value = modelGet(model, json, req.modelValidate ?? true, entry.key);
      return { found: true, value: valueToWire(value), info: keyInfo(entry) };
    },
    missing(req) {
      if (req.raiseOnNonexist ?? raiseByDefault) throw notFound(req.namespace, store.key(req.key));
      return { found: false };
    },
  };
}

function tooLarge(entry: Entry): AnykvError {
  return new AnykvError(
    "LIMIT_EXCEEDED",
    `key "${entry.key}" holds ${entry.meta.chunks?.size ?? entry.value.length} bytes, stored in chunks: ` +
      "too large for one message; read it with Download (or Stream, line by line)",
  );
}

export function notFound(namespace: string, key: string): AnykvError {
  return new AnykvError(
    "NOT_FOUND",
    `key "${key}" does not exist${namespace ? ` in namespace "${namespace}"` : ""}`,
  );
}

/**
 * A put with a model: validated, stored as the model's JSON (whatever the mode, except raw,
 * which stores bytes only), with the model in the metadata.
 */
function encodeModel(key: string, value: TypedValue, putMode: ModeName, model: Model): PutInput {
  if (putMode === "raw") {
    throw new AnykvError(
      "INVALID_VALUE",
      `cannot store key "${key}" in raw mode with model "${model.name}": models store JSON; use auto, json or pickle mode`,
    );
  }
  const put = modelPut(model, value, key);
  const codec = getCodec("json");
  return {
    value: codec.encode(jsonToData(put.json)),
    codec: codec.name,
    kind: put.kind,
    model: model.name,
    contentType: codec.contentType,
  };
}

/** The model a message value names by its type URL, for puts that name none. */
function typeName(value: TypedValue): string {
  const url = anyFromData(value.data).typeUrl;
  return url.slice(url.lastIndexOf("/") + 1);
}

/**
 * A wire Duration as milliseconds, rounded up (a TTL under 1 ms is 1 ms, not 0, which means
 * "never expire"); undefined when unset. Negative TTLs are refused.
 */
export function ttlMs(ttl: Duration | undefined): number | undefined {
  if (!ttl) return undefined;
  const ms = Number(ttl.seconds) * 1000 + Math.ceil(ttl.nanos / 1_000_000);
  if (ms < 0 || ttl.nanos < 0) throw new AnykvError("INVALID_ARGUMENT", "ttl must not be negative");
  return ms;
}
