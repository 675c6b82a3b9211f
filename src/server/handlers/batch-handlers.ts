import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import type { BatchOp, StoreService } from "../../../gen/anykv/v1/store_pb.js";
import { AnykvError, isAnykvError } from "../../errors.js";
import type { StoreOp } from "../../store/store.js";
import { keyInfo } from "../key-info.js";
import type { HandlerContext } from "./handler-context.js";
import { checkBatchSize, prepareDelete, preparePut } from "./write-requests.js";

type BatchHandlers = Pick<ServiceImpl<typeof StoreService>, "batch" | "deletePrefix">;

export function createBatchHandlers(ctx: HandlerContext): BatchHandlers {
  const { store } = ctx;
  return {
    // All or nothing, like etcd's Txn: every op is validated and serialized
    // first, then one backend write applies them with all their conditions.
    // Any failure fails the call (naming the op) and nothing changes.
    async batch(req, call: ConnectContext) {
      checkBatchSize(ctx, req.ops.length, "ops");
      const prepared = req.ops.map((op, i) => naming(i, () => prepareOp(ctx, op)));
      const ops = prepared.filter((p): p is StoreOp => p !== "skipped");
      const { revision, results } = await store.write(req.namespace, ops, call);
      let next = 0;
      return {
        revision: BigInt(revision),
        results: prepared.map((p) => {
          if (p === "skipped") return { result: { case: "put", value: { stored: false } } } as const;
          const r = results[next++]!;
          return r.type === "put"
            ? ({ result: { case: "put", value: { stored: true, info: keyInfo(r.entry) } } } as const)
            : ({ result: { case: "delete", value: { deleted: r.deleted } } } as const);
        }),
      };
    },

    async deletePrefix(req, call: ConnectContext) {
      const filter = { prefix: req.prefix, excludePrefix: req.excludePrefix, glob: req.glob };
      return { deleted: BigInt(await store.deletePrefix(req.namespace, filter, call.signal)) };
    },
  };
}

function prepareOp(ctx: HandlerContext, op: BatchOp): StoreOp | "skipped" {
  switch (op.op.case) {
    case "put": {
      const put = preparePut(ctx, op.op.value);
      return put.skipped ? "skipped" : put.op;
    }
    case "delete":
      return prepareDelete(op.op.value);
    default:
      throw new AnykvError("INVALID_ARGUMENT", "the op sets neither put nor delete");
  }
}

/** Runs `fn`, prefixing the message of an error it throws with the op's index. */
function naming<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isAnykvError(err)) throw err;
    throw new AnykvError(err.code, `op ${index}: ${err.message}`, { cause: err, details: err.details });
  }
}
