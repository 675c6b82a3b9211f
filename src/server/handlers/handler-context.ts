import type { Duration } from "@bufbuild/protobuf/wkt";
import type { KeyInfo, Mode, Value } from "../../../gen/anykv/v1/value_pb.js";
import { deserialize } from "../../codec/deserialize.js";
import { serialize } from "../../codec/serialize.js";
import type { ModeName, TypedValue } from "../../codec/typed-value.js";
import { type DataLimits, defaultDataLimits } from "../../codec/wire-data.js";
import { valueToWire } from "../../codec/wire-value.js";
import { AnykvError } from "../../errors.js";
import type { Entry, PutOptions, Store } from "../../store/store.js";
import { keyInfo } from "../key-info.js";
import { modeName } from "../modes.js";

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
}

/**
 * The value pipeline every handler shares: request → codec → store on the
 * way in, store → codec → response on the way out. One place, so that Put,
 * Touch and batch writes (and Get, Pop and batch reads) cannot drift apart.
 */
export interface HandlerContext {
  readonly store: Store;
  readonly limits: DataLimits;
  mode(mode: Mode): ModeName;
  /** Serializes and stores a value; refused writes throw before the store is touched. */
  write(namespace: string, key: string, value: TypedValue, mode: ModeName, options?: PutOptions): Promise<Entry>;
  /** Decodes an entry for a read response. */
  read(entry: Entry, req: Pick<ReadRequest, "mode" | "model">): ReadResponse;
  /** The answer for a missing key: NOT_FOUND, or found=false when the request allows it. */
  missing(req: Pick<ReadRequest, "namespace" | "key" | "raiseOnNonexist">): ReadResponse;
}

export function createHandlerContext(deps: StoreServiceDeps): HandlerContext {
  const { store } = deps;
  const defaultMode = deps.defaultMode ?? "auto";
  const raiseByDefault = deps.raiseOnNonexist ?? true;
  const mode = (m: Mode) => modeName(m, defaultMode);
  return {
    store,
    limits: deps.dataLimits ?? defaultDataLimits,
    mode,
    async write(namespace, rawKey, value, putMode, options) {
      const key = store.key(rawKey);
      const serialized = serialize(value, putMode, key);
      const input = {
        value: serialized.bytes,
        codec: serialized.codec,
        kind: value.kind,
        model: "",
        contentType: serialized.contentType,
      };
      return store.put(namespace, key, input, options);
    },
    read(entry, req) {
      rejectModel(req.model);
      const value = deserialize(entry.value, entry.meta, mode(req.mode), entry.key);
      return { found: true, value: valueToWire(value), info: keyInfo(entry) };
    },
    missing(req) {
      if (req.raiseOnNonexist ?? raiseByDefault) throw notFound(req.namespace, store.key(req.key));
      return { found: false };
    },
  };
}

export function notFound(namespace: string, key: string): AnykvError {
  return new AnykvError("NOT_FOUND", `key "${key}" does not exist${namespace ? ` in namespace "${namespace}"` : ""}`);
}

export function rejectModel(model: string): void {
  if (model) throw new AnykvError("UNIMPLEMENTED", `models are not supported by this server yet (model "${model}")`);
}

/** A wire Duration as milliseconds; undefined when unset. Negative TTLs are refused. */
export function ttlMs(ttl: Duration | undefined): number | undefined {
  if (!ttl) return undefined;
  const ms = Number(ttl.seconds) * 1000 + Math.trunc(ttl.nanos / 1_000_000);
  if (ms < 0 || ttl.nanos < 0) throw new AnykvError("INVALID_ARGUMENT", "ttl must not be negative");
  return ms;
}
