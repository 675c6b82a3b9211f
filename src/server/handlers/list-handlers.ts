import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import type { StoreService } from "../../../gen/anykv/v1/store_pb.js";
import type { HandlerContext } from "./handler-context.js";

type ListHandlers = Pick<ServiceImpl<typeof StoreService>, "listKeys">;

export function createListHandlers(ctx: HandlerContext): ListHandlers {
  return {
    // Streams as the client reads: the generator pulls one key at a time from the
    // backend iterator, so memory stays flat however many keys there are.
    async *listKeys(req, call: ConnectContext) {
      const keys = ctx.store.keys(req.namespace, {
        prefix: req.prefix,
        excludePrefix: req.excludePrefix,
        glob: req.glob,
        limit: req.limit,
        signal: call.signal,
      });
      for await (const key of keys) yield { key };
    },
  };
}
