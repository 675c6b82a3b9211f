import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import type {
  ListValuesRequest,
  ListValuesResponseSchema,
  StoreService,
} from "../../../gen/anykv/v1/store_pb.js";
import type { Entry, ListOptions } from "../../store/store.js";
import { toItemError } from "../item-error.js";
import { keyInfo } from "../key-info.js";
import type { HandlerContext } from "./handler-context.js";

type ListHandlers = Pick<ServiceImpl<typeof StoreService>, "listKeys" | "listValues">;

/** Keys per ListKeys message when the request's batch_size is 0 (documented in store.proto). */
const DEFAULT_KEYS_PER_MESSAGE = 1000;

/**
 * Most value bytes in a batched ListValues message, unless one value alone is larger (documented
 * in store.proto): well under the 4 MiB that gRPC clients accept by default.
 */
const VALUE_BYTES_PER_MESSAGE = 1024 * 1024;

type ListedValue = MessageInitShape<typeof ListValuesResponseSchema>;

interface ListRequest {
  readonly prefix: string;
  readonly excludePrefix: string;
  readonly glob: string;
  readonly limit: bigint;
  readonly reverse: boolean;
  readonly startAfter: string;
}

/** The listing filters ListKeys, ListValues (and DeletePrefix) share. */
export function listOptions(req: ListRequest, call: ConnectContext): ListOptions {
  return {
    prefix: req.prefix,
    excludePrefix: req.excludePrefix,
    glob: req.glob,
    limit: Number(req.limit),
    reverse: req.reverse,
    startAfter: req.startAfter,
    signal: call.signal,
  };
}

export function createListHandlers(ctx: HandlerContext): ListHandlers {
  return {
    // Streams as the client reads: the generator pulls one key at a time from the
    // backend iterator (connect-node waits for the socket to drain before asking
    // for the next message), so memory stays flat however many keys there are.
    async *listKeys(req, call: ConnectContext) {
      // The store hands out keys in pages; messages are cut from them at the batch size.
      const pages = ctx.store.keyPages(req.namespace, listOptions(req, call));
      const size = Math.min(Number(req.batchSize) || DEFAULT_KEYS_PER_MESSAGE, ctx.maxBatchSize);
      let batch: string[] = [];
      for await (const page of pages) {
        for (let at = 0; at < page.length; ) {
          const take = Math.min(size - batch.length, page.length - at);
          batch = batch.length === 0 && take === page.length ? page : batch.concat(page.slice(at, at + take));
          at += take;
          if (batch.length >= size) {
            yield { keys: batch };
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield { keys: batch };
    },

    // anystore's iterate_values: each value is decoded on its own, and one that
    // cannot be decoded in the mode is reported in its item; the stream goes on.
    // With batch_size, up to that many items per message (fewer when values are large).
    async *listValues(req, call: ConnectContext) {
      const entries = ctx.store.entries(req.namespace, listOptions(req, call));
      const size = Math.min(Number(req.batchSize), ctx.maxBatchSize);
      if (size === 0) {
        for await (const entry of entries) yield await listedValue(entry, req);
        return;
      }
      let items: ListedValue[] = [];
      let bytes = 0;
      for await (const entry of entries) {
        const item = await listedValue(entry, req);
        // A value stored in chunks is not sent (its item is an error naming Download).
        const itemBytes = entry.meta.chunks ? 0 : entry.value.length;
        if (items.length > 0 && bytes + itemBytes > VALUE_BYTES_PER_MESSAGE) {
          yield { items };
          items = [];
          bytes = 0;
        }
        items.push(item);
        bytes += itemBytes;
        if (items.length >= size) {
          yield { items };
          items = [];
          bytes = 0;
        }
      }
      if (items.length > 0) yield { items };
    },
  };

  async function listedValue(entry: Entry, req: ListValuesRequest): Promise<ListedValue> {
    try {
      const read = await ctx.read(entry, req);
      return { key: entry.key, result: { case: "value", value: read.value! }, info: read.info! };
    } catch (err) {
      return { key: entry.key, result: { case: "error", value: toItemError(err) }, info: keyInfo(entry) };
    }
  }
}
