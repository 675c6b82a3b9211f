import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import type { StoreService } from "../../../gen/anykv/v1/store_pb.js";
import { utcDateTime } from "../../codec/utc-datetime.js";
import { valueFromWire } from "../../codec/wire-value.js";
import { keyInfo } from "../key-info.js";
import { type HandlerContext, ttlMs } from "./handler-context.js";
import { writeCondition } from "./write-requests.js";

type WriteHandlers = Pick<ServiceImpl<typeof StoreService>, "put" | "delete" | "touch">;

export function createWriteHandlers(ctx: HandlerContext): WriteHandlers {
  const { store } = ctx;
  return {
    async put(req) {
      const value = valueFromWire(req.value, ctx.limits);
      if (value.data.type === "none" && !store.options.storeNoneValues) {
        store.key(req.key); // a skipped put still answers a bad key
        return { stored: false };
      }
      const options = { ttlMs: ttlMs(req.ttl), ...writeCondition(req.precondition), model: req.model };
      const entry = await ctx.write(req.namespace, req.key, value, ctx.mode(req.mode), options);
      return { stored: true, info: keyInfo(entry) };
    },

    async delete(req, call: ConnectContext) {
      const { deleted, revision } = await store.delete(
        req.namespace,
        req.key,
        writeCondition(req.precondition),
        call,
      );
      return { deleted, revision: BigInt(revision) };
    },

    async touch(req) {
      const now = store.options.now();
      const value = { kind: "data", data: utcDateTime(now) } as const;
      const entry = await ctx.write(req.namespace, req.key, value, "auto", { ttlMs: ttlMs(req.ttl) });
      return { touchedAt: timestampFromMs(now), info: keyInfo(entry) };
    },
  };
}
