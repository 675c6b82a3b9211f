import type { ServiceImpl } from "@connectrpc/connect";
import type { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { createBatchHandlers } from "./handlers/batch-handlers.js";
import { createHandlerContext, type StoreServiceDeps } from "./handlers/handler-context.js";
import { createLargeValueHandlers } from "./handlers/large-value-handlers.js";
import { createListHandlers } from "./handlers/list-handlers.js";
import { createManyHandlers } from "./handlers/many-handlers.js";
import { createReadHandlers } from "./handlers/read-handlers.js";
import { createStreamHandlers } from "./handlers/stream-handlers.js";
import { createWatchHandlers } from "./handlers/watch-handlers.js";
import { createWriteHandlers } from "./handlers/write-handlers.js";

export type { StoreServiceDeps } from "./handlers/handler-context.js";

/**
 * StoreService: each handler validates its request, fills defaults, and runs
 * the shared value pipeline (handlers/handler-context.ts). Handlers throw
 * AnykvErrors; the error interceptor turns them into gRPC codes.
 */
export function createStoreService(deps: StoreServiceDeps): ServiceImpl<typeof StoreService> {
  const ctx = createHandlerContext(deps);
  return {
    ...createWriteHandlers(ctx),
    ...createReadHandlers(ctx),
    ...createListHandlers(ctx),
    ...createStreamHandlers(ctx),
    ...createManyHandlers(ctx),
    ...createBatchHandlers(ctx),
    ...createLargeValueHandlers(ctx),
    ...createWatchHandlers(ctx, deps.watchStats),
  };
}
