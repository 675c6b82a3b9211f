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

export function createWatchHandlers(ctx: HandlerContext): WatchHandlers {
  return {
    // The store's change feed (store/watch-hub.ts), one message per revision; the generator
    // is pulled as the client reads, and a watcher that falls behind the ring gets OUT_OF_RANGE.
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
        yield {
          revision: BigInt(group.revision),
          events: await Promise.all(group.events.map((e) => toWire(ctx, e, req))),
        };
      }
    },
  };
}

async function toWire(ctx: HandlerContext, event: ChangeEvent, req: WatchRequest): Promise<WatchEvent> {
  const { entry } = event;
  const wire = create(WatchEventSchema, {
    type: TYPES[event.type],
    key: event.key,
    revision: BigInt(event.revision),
    info: keyInfo(entry),
  });
  if (req.includeValues && event.type === "put" && !entry.meta.chunks) {
    try {
      const read = await ctx.read(entry, { mode: req.mode || Mode.UNSPECIFIED, model: "" });
      if (read.value) wire.result = { case: "value", value: read.value };
    } catch (err) {
      // A value that does not decode in the requested mode is this event's error; the event
      // still counts and the stream goes on.
      wire.result = { case: "error", value: toItemError(err) };
    }
  }
  return wire;
}
