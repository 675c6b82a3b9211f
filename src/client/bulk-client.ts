import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { Precondition, StoreService } from "../../gen/anykv/v1/store_pb.js";
import type { Mode, Value, KeyInfo as WireKeyInfo } from "../../gen/anykv/v1/value_pb.js";
import {
  type CallOptions,
  type ConnectOptionsOf,
  cancelOnExit,
  type ListKeysOptions,
  type RequestOptions,
} from "./call-options.js";
import { statusError } from "./errors.js";
import type { KeyInfo } from "./key-info.js";

/**
 * The precondition of a put or delete: the write happens only if the key is at that revision,
 * or absent (at most one of the two; anykv.v1.Precondition).
 */
export interface WriteConditions {
  /** The key's current revision (KeyInfo.revision) must be this one; else ABORTED. */
  readonly ifRevision?: bigint | number;
  /** The key must not exist (expired keys do not); else ABORTED. */
  readonly ifAbsent?: boolean;
}

/** One item of putMany, or a put op of a batch. */
export interface PutItem extends WriteConditions {
  readonly key: string;
  readonly value: unknown;
  /** TTL in seconds; 0 means never expire. */
  readonly ttl?: number;
  readonly mode?: CallOptions["mode"];
}

/** One item of deleteMany (a bare key is a delete without conditions), or a delete op of a batch. */
export interface DeleteItem extends WriteConditions {
  readonly key: string;
}

/** One op of a batch. */
export type BatchItem = ({ readonly type: "put" } & PutItem) | ({ readonly type: "delete" } & DeleteItem);

/** The outcome of one key of getMany. `error` is set when that key alone failed. */
export interface GetManyResult<T = unknown> {
  readonly key: string;
  readonly found: boolean;
  readonly value?: T;
  readonly info?: KeyInfo;
  readonly error?: ConnectError;
}

/** The outcome of one item of putMany. */
export interface PutManyResult {
  readonly key: string;
  readonly stored: boolean;
  readonly info?: KeyInfo;
  readonly error?: ConnectError;
}

/** The outcome of one item of deleteMany. */
export interface DeleteManyResult {
  readonly key: string;
  readonly deleted: boolean;
  /** The revision of the delete; 0n when nothing was deleted. */
  readonly revision: bigint;
  readonly error?: ConnectError;
}

/** The outcome of a batch: its revision (every op's) and one result per op. */
export interface BatchResult {
  readonly revision: bigint;
  readonly results: ReadonlyArray<
    | { readonly type: "put"; readonly stored: boolean; readonly info?: KeyInfo }
    | { readonly type: "delete"; readonly deleted: boolean }
  >;
}

/** One item of values(): the value, or why it could not be decoded (the listing goes on). */
export interface ListedValue<T = unknown> {
  readonly key: string;
  readonly info: KeyInfo;
  readonly value?: T;
  readonly error?: ConnectError;
}

export type ListValuesOptions = ListKeysOptions &
  Pick<CallOptions, "mode" | "deserializationFunc" | "trustCode">;

export interface DeletePrefixOptions extends RequestOptions {
  readonly excludePrefix?: string;
  readonly glob?: string;
}

/** The parts of the store client the bulk methods share with it. */
export interface ClientCore {
  readonly rpc: Client<typeof StoreService>;
  readonly namespace: string;
  /** A call's connect options over the store's (call-options.ts). */
  readonly rpcOptions: ConnectOptionsOf;
  mode(call?: CallOptions): Mode;
  ttl(call?: CallOptions): { seconds: bigint; nanos: number } | undefined;
  encode(value: unknown, call?: CallOptions): Value;
  decode(value: Value | undefined, call?: CallOptions): unknown;
  keyInfo(info: WireKeyInfo): KeyInfo;
}

export interface BulkMethods {
  values<T = unknown>(options?: ListValuesOptions): AsyncIterable<ListedValue<T>>;
  stream<T = unknown>(key: string, options?: CallOptions): AsyncIterable<T>;
  getMany<T = unknown>(keys: readonly string[], options?: CallOptions): Promise<GetManyResult<T>[]>;
  putMany(
    items: Iterable<PutItem> | ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>,
    options?: CallOptions,
  ): Promise<PutManyResult[]>;
  deleteMany(items: Iterable<string | DeleteItem>, options?: CallOptions): Promise<DeleteManyResult[]>;
  batch(ops: Iterable<BatchItem>, options?: CallOptions): Promise<BatchResult>;
  deletePrefix(prefix: string, options?: DeletePrefixOptions): Promise<number>;
}

/** Keys per ListValues message that values() asks for (fewer come when values are large). */
const VALUES_PER_MESSAGE = 256n;

export function createBulkMethods(core: ClientCore): BulkMethods {
  const { rpc, namespace } = core;
  const unaryOf = (call: RequestOptions | undefined) => core.rpcOptions(call);
  const streamOf = (call: RequestOptions | undefined) => core.rpcOptions(call, "stream");
  const putRequest = (item: PutItem, call?: CallOptions) => {
    const itemCall = {
      ...call,
      ...(item.mode ? { mode: item.mode } : {}),
      ...(item.ttl !== undefined ? { ttl: item.ttl } : {}),
    };
    const ttl = core.ttl(itemCall);
    return {
      key: item.key,
      value: core.encode(item.value, itemCall),
      mode: core.mode(itemCall),
      ...(ttl ? { ttl } : {}),
      ...precondition(item),
    };
  };
  return {
    async *values<T>(list: ListValuesOptions = {}) {
      const request = {
        namespace,
        ...listRequest(list),
        mode: core.mode(list),
        batchSize: VALUES_PER_MESSAGE,
      };
      const stream = cancelOnExit(list, (call) => rpc.listValues(request, streamOf(call)));
      for await (const res of stream) {
        // A server from before batch_size answers one key per message, in the response's own fields.
        for (const item of res.items.length > 0 ? res.items : [res]) {
          const info = core.keyInfo(item.info!);
          if (item.result.case === "error")
            yield { key: item.key, info, error: statusError(item.result.value) };
          else yield { key: item.key, info, value: core.decode(item.result.value, list) as T };
        }
      }
    },
    async *stream<T>(key: string, call: CallOptions = {}) {
      const request = { namespace, key, mode: core.mode(call) };
      for await (const res of cancelOnExit(call, (options) => rpc.stream(request, streamOf(options)))) {
        yield core.decode(res.value, call) as T;
      }
    },
    async getMany<T>(keys: readonly string[], call?: CallOptions) {
      const res = await rpc.getMany({ namespace, keys: [...keys], mode: core.mode(call) }, unaryOf(call));
      return res.results.map((r): GetManyResult<T> => {
        if (r.result.case === "error")
          return { key: r.key, found: false, error: statusError(r.result.value) };
        if (!r.found) return { key: r.key, found: false };
        return {
          key: r.key,
          found: true,
          value: core.decode(r.result.value, call) as T,
          info: core.keyInfo(r.info!),
        };
      });
    },
    async putMany(items, call) {
      const list = putItems(items).map((item) => putRequest(item, call));
      const res = await rpc.putMany({ namespace, items: list }, unaryOf(call));
      return res.results.map((r): PutManyResult => {
        if (r.result.case === "error")
          return { key: r.key, stored: false, error: statusError(r.result.value) };
        if (r.result.case === "info")
          return { key: r.key, stored: r.stored, info: core.keyInfo(r.result.value) };
        return { key: r.key, stored: r.stored };
      });
    },
    async deleteMany(items, call) {
      const list = [...items].map((item) => (typeof item === "string" ? { key: item } : item));
      const res = await rpc.deleteMany(
        { namespace, items: list.map((item) => ({ key: item.key, ...precondition(item) })) },
        unaryOf(call),
      );
      return res.results.map((r): DeleteManyResult => {
        if (r.result.case === "error")
          return { key: r.key, deleted: false, revision: 0n, error: statusError(r.result.value) };
        return {
          key: r.key,
          deleted: r.result.value?.deleted ?? false,
          revision: r.result.value?.revision ?? 0n,
        };
      });
    },
    async batch(ops, call) {
      const wire = [...ops].map((op) =>
        op.type === "put"
          ? { op: { case: "put" as const, value: putRequest(op, call) } }
          : { op: { case: "delete" as const, value: { key: op.key, ...precondition(op) } } },
      );
      const res = await rpc.batch({ namespace, ops: wire }, unaryOf(call));
      return {
        revision: res.revision,
        results: res.results.map((r) =>
          r.result.case === "delete"
            ? { type: "delete", deleted: r.result.value.deleted }
            : {
                type: "put",
                stored: r.result.value?.stored ?? false,
                ...(r.result.value?.info ? { info: core.keyInfo(r.result.value.info) } : {}),
              },
        ),
      };
    },
    async deletePrefix(prefix, options = {}) {
      const res = await rpc.deletePrefix(
        { namespace, prefix, excludePrefix: options.excludePrefix ?? "", glob: options.glob ?? "" },
        unaryOf(options),
      );
      return Number(res.deleted);
    },
  };
}

/** The listing fields of ListKeysRequest and ListValuesRequest. */
export function listRequest(list: ListKeysOptions) {
  return {
    prefix: list.prefix ?? "",
    excludePrefix: list.excludePrefix ?? "",
    glob: list.glob ?? "",
    limit: BigInt(list.limit ?? 0),
    reverse: list.reverse ?? false,
    startAfter: list.startAfter ?? "",
  };
}

/** A write's conditions as the request's precondition (none when neither is set). */
export function precondition(c: WriteConditions): { precondition?: Precondition } {
  if (c.ifRevision !== undefined && c.ifAbsent)
    throw new ConnectError("a precondition is ifRevision or ifAbsent, not both", Code.InvalidArgument);
  if (c.ifRevision !== undefined)
    return { precondition: wirePrecondition({ case: "revision", value: BigInt(c.ifRevision) }) };
  if (c.ifAbsent) return { precondition: wirePrecondition({ case: "absent", value: true }) };
  return {};
}

function wirePrecondition(condition: Precondition["condition"]): Precondition {
  return { $typeName: "anykv.v1.Precondition", condition };
}

function putItems(
  items: Iterable<PutItem> | ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>,
): PutItem[] {
  if (items instanceof Map) return [...items].map(([key, value]: [string, unknown]) => ({ key, value }));
  if (Symbol.iterator in items) return [...(items as Iterable<PutItem>)];
  return Object.entries(items).map(([key, value]) => ({ key, value }));
}
