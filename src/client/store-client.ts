import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { ChecksumAlgorithm, StoreService } from "../../gen/anykv/v1/store_pb.js";
import { Mode, type KeyInfo as WireKeyInfo } from "../../gen/anykv/v1/value_pb.js";
import type { ModeName } from "../codec/typed-value.js";
import {
  type BulkMethods,
  createBulkMethods,
  listRequest,
  precondition,
  type WriteConditions,
} from "./bulk-client.js";
import {
  type CallOptions,
  type ConnectOptionsOf,
  cancelOnExit,
  connectOptions,
  type ListKeysOptions,
  type RequestOptions,
  type ValueOptions,
} from "./call-options.js";
import { fromWireValue, toWireValue } from "./js-value.js";
import type { KeyInfo } from "./key-info.js";
import { createLargeValueMethods, type LargeValueMethods } from "./large-value-client.js";
import { createModelClient, type ModelClient } from "./model-client.js";
import { type MessageModelOptions, modelPutValue, modelReadName, modelReadValue } from "./model-values.js";
import { createTransport, type Protocol, type TransportOptions } from "./transports.js";
import { createWatchMethods, type WatchMethods } from "./watch-client.js";

/** Options of a store client; every per-call option overrides the store's (call-options.ts). */
export interface StoreClientOptions extends ValueOptions, RequestOptions {
  /** The server, e.g. "http://127.0.0.1:50051". Ignored when `transport` is a Transport. */
  readonly baseUrl: string;
  /**
   * The namespace every call works in.
   * @default "" (the default namespace)
   */
  readonly namespace?: string;
  /**
   * TTL of puts, in seconds; 0 means never expire.
   * @default the server's default TTL
   */
  readonly defaultTtl?: number;
  /**
   * A protocol name or a ready Transport.
   * @default "grpc"
   */
  readonly transport?: Protocol | Transport;
  /**
   * Bearer token for servers started with --auth-file (ignored when `transport` is a Transport).
   * @default process.env.ANYKV_TOKEN
   */
  readonly token?: string;
  /**
   * TLS for https:// URLs (ignored when `transport` is a Transport): the CA that signed the
   * server's certificate, and a client certificate and key for servers that require one (mTLS),
   * PEM.
   * @default Node's root CAs, no client certificate
   */
  readonly tls?: Pick<TransportOptions, "ca" | "cert" | "key">;
  /**
   * Ask the server to compress answers over 1 KiB (ignored when `transport` is a Transport):
   * worth it on slow links, slower on local ones.
   * @default false
   */
  readonly compression?: boolean;
}

export interface AnykvStore extends BulkMethods, LargeValueMethods, WatchMethods {
  /** The generated client underneath, for RPCs this wrapper does not cover. */
  readonly rpc: Client<typeof StoreService>;
  /** The registered models (anykv.v1.ModelService). */
  readonly models: ModelClient;
  /**
   * Stores a message of a protobuf model (a `User` or its init shape), validated by the server;
   * the model's file is registered on first use.
   */
  put<Desc extends DescMessage>(
    key: string,
    value: MessageShape<Desc> | MessageInitShape<Desc>,
    options: CallOptions & WriteConditions & MessageModelOptions<Desc>,
  ): Promise<KeyInfo | undefined>;
  /** Stores a value and returns its metadata (revision included); a failed condition is ABORTED. */
  put(key: string, value: unknown, options?: CallOptions & WriteConditions): Promise<KeyInfo | undefined>;
  /** Reads a message of a protobuf model, validated by the server (unless modelValidate is false). */
  get<Desc extends DescMessage>(
    key: string,
    options: CallOptions & MessageModelOptions<Desc>,
  ): Promise<MessageShape<Desc>>;
  get<T = unknown>(key: string, options?: CallOptions): Promise<T>;
  pop<Desc extends DescMessage>(
    key: string,
    options: CallOptions & MessageModelOptions<Desc>,
  ): Promise<MessageShape<Desc>>;
  pop<T = unknown>(key: string, options?: CallOptions): Promise<T>;
  /** Deletes a key; false when there was none. A failed condition is ABORTED. */
  delete(key: string, options?: CallOptions & WriteConditions): Promise<boolean>;
  exists(key: string, options?: CallOptions): Promise<boolean>;
  info(key: string, options?: CallOptions): Promise<KeyInfo>;
  touch(key: string, options?: CallOptions): Promise<Date>;
  checksum(key: string, options?: CallOptions & { algorithm?: string }): Promise<string>;
  keys(options?: ListKeysOptions): AsyncIterable<string>;
}

const MODES: Record<ModeName, Mode> = {
  auto: Mode.AUTO,
  raw: Mode.RAW,
  json: Mode.JSON,
  pickle: Mode.PICKLE,
};

/**
 * How many keys `keys()` asks the server to put in one ListKeys message: the server's default
 * --max-batch-size (a server with a lower limit sends fewer). Each message costs the server and
 * the client a fixed amount (connect's stream steps, and a gzip pass when `compression` is on), so bigger messages
 * list faster: 256 keys gave 0.37× the rate of LevelDB's own key iterator, 1000 keys 0.65–1.2×
 * (bench/README.md); 1000 keys of at most 1 KiB stay well within the 4 MiB message limit.
 */
const KEYS_PER_MESSAGE = 1000n;
/**
 * A checksum algorithm's name (node:crypto's, as the README lists them) as the API's enum;
 * an unknown name is INVALID_ARGUMENT before anything is sent.
 */
function checksumAlgorithm(name: string): ChecksumAlgorithm {
  const value = (ChecksumAlgorithm as unknown as Record<string, ChecksumAlgorithm | undefined>)[
    name.toUpperCase().replace("-", "_")
  ];
  if (value === undefined || value === ChecksumAlgorithm.UNSPECIFIED)
    throw new ConnectError(`unknown checksum algorithm "${name}"`, Code.InvalidArgument);
  return value;
}

/** A typed anykv client: JavaScript values in, the same JavaScript values out. */
export type { CallOptions, ListKeysOptions } from "./call-options.js";
export type { KeyInfo } from "./key-info.js";

export function createStore(options: StoreClientOptions): AnykvStore {
  const transport =
    typeof options.transport === "object"
      ? options.transport
      : createTransport(options.baseUrl, options.transport, {
          ...options.tls,
          token: options.token,
          compression: options.compression,
        });
  const rpc = createClient(StoreService, transport);
  // Every call's deadline, headers and signal, over the store's (call-options.ts).
  const rpcOptions: ConnectOptionsOf = (call, shape) => connectOptions(options, call, shape);
  const models = createModelClient(transport, rpcOptions);
  const namespace = options.namespace ?? "";
  const pick = <K extends keyof CallOptions & keyof StoreClientOptions>(
    call: CallOptions | undefined,
    key: K,
  ) => call?.[key] ?? options[key];

  const mode = (call?: CallOptions) => {
    const name = pick(call, "mode");
    return name === undefined ? Mode.UNSPECIFIED : MODES[name];
  };
  const ttl = (call?: CallOptions) => {
    const seconds = call?.ttl ?? options.defaultTtl;
    if (seconds === undefined) return undefined;
    if (!Number.isFinite(seconds))
      throw new RangeError(`ttl must be a finite number of seconds, not ${seconds}`);
    let whole = Math.trunc(seconds);
    let nanos = Math.round((seconds - whole) * 1e9);
    // A fraction that rounds to a whole second carries: a Duration's nanos stay below 10^9.
    if (Math.abs(nanos) >= 1e9) [whole, nanos] = [whole + Math.sign(nanos), 0];
    return { seconds: BigInt(whole), nanos };
  };
  const reviveCode = (call?: CallOptions) => (language: string, source: string) => {
    if (!(pick(call, "trustCode") ?? false)) {
      throw new Error(
        "the stored value is code, which runs when revived; pass trustCode: true to revive it (the default is false)",
      );
    }
    if (language !== "javascript") throw new Error(`cannot revive ${language} code in JavaScript`);
    return new Function(`"use strict"; return (${source});`)();
  };
  const decode = (value: Parameters<typeof fromWireValue>[0], call?: CallOptions) => {
    const decoded = fromWireValue(value, { reviveCode: reviveCode(call) });
    const deserialize = pick(call, "deserializationFunc");
    return deserialize ? deserialize(decoded) : decoded;
  };
  const read = async <T>(method: "get" | "pop", key: string, call?: CallOptions): Promise<T> => {
    const model = await modelReadName(models, call);
    const res = await rpc[method](
      {
        namespace,
        key,
        mode: mode(call),
        raiseOnNonexist: pick(call, "raiseOnNonexist") ?? true,
        model,
        ...(call?.modelValidate === undefined ? {} : { modelValidate: call.modelValidate }),
      },
      rpcOptions(call),
    );
    return (res.found ? await modelReadValue(res.value, call, (v) => decode(v, call)) : undefined) as T;
  };

  return {
    rpc,
    models,
    async put(key: string, value: unknown, call?: CallOptions & WriteConditions) {
      const serialize = pick(call, "serializationFunc");
      const wire = await modelPutValue(models, serialize ? serialize(value) : value, call);
      const t = ttl(call);
      const res = await rpc.put(
        {
          namespace,
          key,
          value: wire.value,
          model: wire.model,
          mode: mode(call),
          ...(t ? { ttl: t } : {}),
          ...precondition(call ?? {}),
        },
        rpcOptions(call),
      );
      return res.info && toKeyInfo(res.info);
    },
    get: <T>(key: string, call?: CallOptions) => read<T>("get", key, call),
    pop: <T>(key: string, call?: CallOptions) => read<T>("pop", key, call),
    async delete(key, call) {
      return (await rpc.delete({ namespace, key, ...precondition(call ?? {}) }, rpcOptions(call))).deleted;
    },
    async exists(key, call) {
      return (await rpc.exists({ namespace, key }, rpcOptions(call))).exists;
    },
    async info(key, call) {
      const res = await rpc.info({ namespace, key }, rpcOptions(call));
      return toKeyInfo(res.info!);
    },
    async touch(key, call) {
      const t = ttl(call);
      const res = await rpc.touch({ namespace, key, ...(t ? { ttl: t } : {}) }, rpcOptions(call));
      return timestampDate(res.touchedAt!);
    },
    async checksum(key, call) {
      const algorithm = checksumAlgorithm(call?.algorithm ?? "sha256");
      const res = await rpc.checksum({ namespace, key, algorithm }, rpcOptions(call));
      return res.checksum;
    },
    async *keys(list = {}) {
      // Keys arrive in batches (one message per key costs more than the key).
      const request = { namespace, ...listRequest(list), batchSize: KEYS_PER_MESSAGE };
      for await (const res of cancelOnExit(list, (call) => rpc.listKeys(request, rpcOptions(call, "stream"))))
        yield* res.keys;
    },
    ...createBulkMethods({
      rpc,
      namespace,
      rpcOptions,
      mode,
      ttl,
      decode,
      keyInfo: toKeyInfo,
      encode: (value, call) => {
        const serialize = pick(call, "serializationFunc");
        return toWireValue(serialize ? serialize(value) : value);
      },
    }),
    ...createLargeValueMethods({ rpc, namespace, rpcOptions, ttl, keyInfo: toKeyInfo }),
    ...createWatchMethods({
      rpc,
      namespace,
      rpcOptions,
      mode: (name) => (name === undefined ? mode() : MODES[name]),
      decode: (value) => decode(value),
      keyInfo: toKeyInfo,
    }),
  };
}

/** The API's KeyInfo with JavaScript types (numbers, Dates). */
export function toKeyInfo(info: WireKeyInfo): KeyInfo {
  return {
    key: info.key,
    namespace: info.namespace,
    size: Number(info.size),
    codec: info.codec,
    kind: info.kind,
    model: info.model,
    contentType: info.contentType,
    createdAt: info.createdAt && timestampDate(info.createdAt),
    updatedAt: info.updatedAt && timestampDate(info.updatedAt),
    expiresAt: info.expiresAt && timestampDate(info.expiresAt),
    revision: info.revision,
  };
}
