import { createHash } from "node:crypto";
import { type Duration, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { GetRequest, StoreService } from "../../gen/anykv/v1/store_pb.js";
import type { KeyInfo, Value } from "../../gen/anykv/v1/value_pb.js";
import type { Data } from "../codec/data.js";
import { deserialize } from "../codec/deserialize.js";
import { serialize } from "../codec/serialize.js";
import type { ModeName, TypedValue } from "../codec/typed-value.js";
import { type DataLimits, defaultDataLimits } from "../codec/wire-data.js";
import { valueFromWire, valueToWire } from "../codec/wire-value.js";
import { AnykvError } from "../errors.js";
import type { Entry, Store } from "../store/store.js";
import { keyInfo } from "./key-info.js";
import { modeName } from "./modes.js";

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

/** The answer of Get and Pop. */
interface ReadResponse {
  readonly found: boolean;
  readonly value?: Value;
  readonly info?: KeyInfo;
}

const CHECKSUM_ALGORITHMS = new Set([
  "md5",
  "sha1",
  "sha224",
  "sha256",
  "sha384",
  "sha512",
  "sha3-256",
  "sha3-512",
]);

/**
 * StoreService: validate the request, fill defaults, run the codec, call the
 * store. Errors are AnykvErrors; the error interceptor turns them into codes.
 */
export function createStoreService(deps: StoreServiceDeps): ServiceImpl<typeof StoreService> {
  const { store } = deps;
  const defaultMode = deps.defaultMode ?? "auto";
  const raiseByDefault = deps.raiseOnNonexist ?? true;
  const limits = deps.dataLimits ?? defaultDataLimits;

  const putValue = async (
    namespace: string,
    rawKey: string,
    value: TypedValue,
    mode: ModeName,
    ttl?: Duration,
  ) => {
    const key = store.key(rawKey);
    const serialized = serialize(value, mode, key);
    return store.put(
      namespace,
      key,
      {
        value: serialized.bytes,
        codec: serialized.codec,
        kind: value.kind,
        model: "",
        contentType: serialized.contentType,
      },
      { ttlMs: ttlMs(ttl) },
    );
  };

  /** Decodes an entry for a Get or Pop response. */
  const read = (entry: Entry, req: Pick<GetRequest, "mode" | "model">): ReadResponse => {
    rejectModel(req.model);
    const value = deserialize(entry.value, entry.meta, modeName(req.mode, defaultMode), entry.key);
    return { found: true, value: valueToWire(value), info: keyInfo(entry) };
  };

  const missing = (req: Pick<GetRequest, "key" | "namespace" | "raiseOnNonexist">): ReadResponse => {
    if (req.raiseOnNonexist ?? raiseByDefault) throw notFound(req.namespace, store.key(req.key));
    return { found: false };
  };

  return {
    async put(req) {
      rejectModel(req.model);
      const value = valueFromWire(req.value, limits);
      if (isNone(value.data) && !store.options.storeNoneValues) {
        store.key(req.key);
        return { stored: false };
      }
      const entry = await putValue(req.namespace, req.key, value, modeName(req.mode, defaultMode), req.ttl);
      return { stored: true, info: keyInfo(entry) };
    },

    async get(req) {
      const entry = await store.get(req.namespace, req.key);
      return entry ? read(entry, req) : missing(req);
    },

    async pop(req) {
      // Decode before the delete commits: a pop that cannot answer must not lose the value.
      let response: ReadResponse | undefined;
      const entry = await store.pop(req.namespace, req.key, (found) => {
        response = read(found, req);
      });
      return entry && response ? response : missing(req);
    },

    async delete(req) {
      return { deleted: await store.delete(req.namespace, req.key) };
    },

    async exists(req) {
      return { exists: await store.exists(req.namespace, req.key) };
    },

    async info(req) {
      const entry = await store.get(req.namespace, req.key);
      if (!entry) throw notFound(req.namespace, store.key(req.key));
      return { info: keyInfo(entry) };
    },

    async touch(req) {
      const now = store.options.now();
      const entry = await putValue(
        req.namespace,
        req.key,
        { kind: "data", data: utcDateTime(now) },
        "auto",
        req.ttl,
      );
      return { touchedAt: timestampFromMs(now), info: keyInfo(entry) };
    },

    async checksum(req) {
      const algorithm = (req.algorithm || "sha256").toLowerCase();
      if (!CHECKSUM_ALGORITHMS.has(algorithm)) {
        throw new AnykvError(
          "INVALID_ARGUMENT",
          `unknown checksum algorithm "${req.algorithm}"; use one of ${[...CHECKSUM_ALGORITHMS].join(", ")}`,
        );
      }
      const entry = await store.get(req.namespace, req.key);
      if (!entry) throw notFound(req.namespace, store.key(req.key));
      return { algorithm, checksum: createHash(algorithm).update(entry.value).digest("hex") };
    },

    async *listKeys(req, ctx: HandlerContext) {
      const keys = store.keys(req.namespace, {
        prefix: req.prefix,
        excludePrefix: req.excludePrefix,
        glob: req.glob,
        limit: req.limit,
        signal: ctx.signal,
      });
      for await (const key of keys) yield { key };
    },
  };
}

function notFound(namespace: string, key: string): AnykvError {
  return new AnykvError(
    "NOT_FOUND",
    `key "${key}" does not exist${namespace ? ` in namespace "${namespace}"` : ""}`,
  );
}

function rejectModel(model: string): void {
  if (model)
    throw new AnykvError("UNIMPLEMENTED", `models are not supported by this server yet (model "${model}")`);
}

function isNone(value: Data): boolean {
  return value.type === "none";
}

/** A wire Duration as milliseconds; undefined when unset. Negative TTLs are refused. */
function ttlMs(ttl: Duration | undefined): number | undefined {
  if (!ttl) return undefined;
  const ms = Number(ttl.seconds) * 1000 + Math.trunc(ttl.nanos / 1_000_000);
  if (ms < 0 || ttl.nanos < 0) throw new AnykvError("INVALID_ARGUMENT", "ttl must not be negative");
  return ms;
}

/** The current time as a timezone-aware UTC datetime, as Python's datetime.now(timezone.utc). */
function utcDateTime(ms: number): Data {
  const d = new Date(ms);
  return {
    type: "datetime",
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    microsecond: d.getUTCMilliseconds() * 1000,
    utcOffsetSeconds: 0,
  };
}
