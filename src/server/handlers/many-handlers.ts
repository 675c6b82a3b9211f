import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import type { StoreService } from "../../../gen/anykv/v1/store_pb.js";
import type { OpResult, StoreOp } from "../../store/store.js";
import { toItemError } from "../item-error.js";
import { keyInfo } from "../key-info.js";
import type { HandlerContext } from "./handler-context.js";
import { checkBatchSize, prepareDelete, preparePut } from "./write-requests.js";

type ManyHandlers = Pick<ServiceImpl<typeof StoreService>, "getMany" | "putMany" | "deleteMany">;

/**
 * GetMany, PutMany and DeleteMany: one round trip, one result per item, in
 * request order. An item's own failure is reported in its result; problems of
 * the request itself (too many items, a broken declared constraint, an
 * unavailable backend) fail the whole call and nothing is written.
 */
export function createManyHandlers(ctx: HandlerContext): ManyHandlers {
  const { store } = ctx;
  return {
    async getMany(req) {
      checkBatchSize(ctx, req.keys.length, "keys");
      const results = await Promise.all(
        req.keys.map(async (key) => {
          try {
            const entry = await store.get(req.namespace, key);
            if (!entry) return { key, found: false };
            const read = await ctx.read(entry, req);
            return {
              key,
              found: true,
              result: { case: "value", value: read.value! },
              info: read.info!,
            } as const;
          } catch (err) {
            return { key, found: false, result: { case: "error", value: toItemError(err) } } as const;
          }
        }),
      );
      return { results };
    },

    async putMany(req, call: ConnectContext) {
      checkBatchSize(ctx, req.items.length, "items");
      // Prepare (validate, serialize) every item first; failures become their results.
      const prepared = req.items.map((item) => {
        try {
          return preparePut(ctx, item);
        } catch (err) {
          return toItemError(err);
        }
      });
      const ops: StoreOp[] = [];
      for (const p of prepared) if ("skipped" in p && !p.skipped) ops.push(p.op);
      const written = await store.writeEach(req.namespace, ops, call);
      let next = 0;
      const results = req.items.map((item, i) => {
        const p = prepared[i]!;
        if (!("skipped" in p))
          return { key: item.key, stored: false, result: { case: "error", value: p } } as const;
        if (p.skipped) return { key: item.key, stored: false };
        const outcome = written[next++]!;
        if (!isResult(outcome))
          return {
            key: item.key,
            stored: false,
            result: { case: "error", value: toItemError(outcome) },
          } as const;
        if (outcome.type !== "put") throw new Error("unreachable: a put answered as a delete");
        return {
          key: item.key,
          stored: true,
          result: { case: "info", value: keyInfo(outcome.entry) },
        } as const;
      });
      return { results };
    },

    async deleteMany(req, call: ConnectContext) {
      checkBatchSize(ctx, req.items.length, "items");
      const ops = req.items.map((item) => prepareDelete(item));
      const written = await store.writeEach(req.namespace, ops, call);
      const results = req.items.map((item, i) => {
        const outcome = written[i]!;
        if (!isResult(outcome))
          return { key: item.key, result: { case: "error", value: toItemError(outcome) } } as const;
        if (outcome.type !== "del") throw new Error("unreachable: a delete answered as a put");
        const deletion = { deleted: outcome.deleted, revision: BigInt(outcome.revision) };
        return { key: item.key, result: { case: "deletion", value: deletion } } as const;
      });
      return { results };
    },
  };
}

function isResult(outcome: OpResult | Error): outcome is OpResult {
  return !(outcome instanceof Error);
}
