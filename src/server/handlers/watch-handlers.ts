import { create } from "@bufbuild/protobuf";
import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import {
  type StoreService,
  type WatchEvent,
  WatchEvent_Type,
  WatchEventSchema,
  type WatchRequest,
} from "../../../gen/anykv/v1/store_pb.js";
import { Mode } from "../../../gen/anykv/v1/value_pb.js";
import type { ChangeEvent } from "../../store/store.js";
import { toItemError } from "../item-error.js";
import { keyInfo } from "../key-info.js";
import type { HandlerContext } from "./handler-context.js";

type WatchHandlers = Pick<ServiceImpl<typeof StoreService>, "watch">;

const TYPES = {
  put: WatchEvent_Type.PUT,
  delete: WatchEvent_Type.DELETE,
  expire: WatchEvent_Type.EXPIRE,
} as const;

/** What Watch's encoding did, for tests and metrics. */
export interface WatchEncodeStats {
  /** WatchEvent messages built (each event once per way of reading it, shared by its watchers). */
  encodes: number;
}

export function createWatchHandlers(
  ctx: HandlerContext,
  stats: WatchEncodeStats = { encodes: 0 },
): WatchHandlers {
  const encode = createEventEncoder(ctx, stats);
  return {
    // The store's tail of the change log (store/watch-hub.ts), one message per revision or
    // progress notification; the generator is pulled as the client reads. A watcher older than
    // the compaction point gets OUT_OF_RANGE; one with more than --max-stream-buffer-bytes of
    // events unread, RESOURCE_EXHAUSTED (both say where to resume).
    async *watch(req, call: ConnectContext) {
      const feed = ctx.store.watch(req.namespace, {
        prefix: req.prefix,
        startRevision: Math.max(0, Number(req.startRevision)),
        signal: call.signal,
      });
      let created = false;
      for await (const group of feed) {
        if (!created) {
          created = true;
          yield { created: true, revision: BigInt(group.revision) };
          continue;
        }
        if (group.progress) {
          yield { revision: BigInt(group.revision), progress: true };
          continue;
        }
        yield {
          revision: BigInt(group.revision),
          events: await Promise.all(group.events.map((e) => encode(e, req))),
        };
      }
    },
  };
}

/**
 * Builds each event's WatchEvent once per way of reading it (with the value in a mode, or
 * without), and hands the same message to every watcher that reads it that way: a write seen
 * by 2,000 watchers is decoded and encoded once, not 2,000 times. Messages are never changed
 * after they are built, so sharing them between streams is safe. The cache lives as long as the
 * event (the watch ring and the watchers' queues hold it).
 */
function createEventEncoder(ctx: HandlerContext, stats: WatchEncodeStats) {
  const cache = new WeakMap<ChangeEvent, Map<string, Promise<WatchEvent>>>();
  return (event: ChangeEvent, req: WatchRequest): Promise<WatchEvent> => {
    const withValue = req.includeValues && event.type === "put" && !event.entry.meta.chunks;
    const way = withValue ? ctx.mode(req.mode || Mode.UNSPECIFIED) : "";
    let ways = cache.get(event);
    if (!ways) {
      ways = new Map();
      cache.set(event, ways);
    }
    let encoded = ways.get(way);
    if (!encoded) {
      stats.encodes++;
      encoded = toWire(ctx, event, withValue ? req.mode || Mode.UNSPECIFIED : undefined);
      ways.set(way, encoded);
    }
    return encoded;
  };
}

async function toWire(ctx: HandlerContext, event: ChangeEvent, mode: Mode | undefined): Promise<WatchEvent> {
  const { entry } = event;
  const wire = create(WatchEventSchema, {
    type: TYPES[event.type],
    key: event.key,
    revision: BigInt(event.revision),
    info: keyInfo(entry),
  });
  if (mode !== undefined) {
    try {
      const read = await ctx.read(entry, { mode, model: "" });
      if (read.value) wire.result = { case: "value", value: read.value };
    } catch (err) {
      // A value that does not decode in the requested mode (or is over a decode limit) is this
      // event's error; the event still counts and the stream goes on.
      wire.result = { case: "error", value: toItemError(err) };
    }
  }
  return wire;
}
