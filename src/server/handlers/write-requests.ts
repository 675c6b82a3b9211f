import type { BatchPut, Precondition, PutManyItem } from "../../../gen/anykv/v1/store_pb.js";
import { valueFromWire } from "../../codec/wire-value.js";
import { AnykvError } from "../../errors.js";
import type { StoreOp, WriteCondition } from "../../store/store.js";
import { type HandlerContext, ttlMs } from "./handler-context.js";

/** A put item made ready for the store, or a put of null that the server skips. */
export type PreparedPut =
  | { readonly skipped: false; readonly op: Extract<StoreOp, { type: "put" }> }
  | { readonly skipped: true };

/**
 * Validates and serializes one put item as Put does, without writing it: PutMany items and
 * Batch put ops go through here. Throws the item's error.
 */
export function preparePut(ctx: HandlerContext, item: PutManyItem | BatchPut): PreparedPut {
  const key = ctx.store.key(item.key);
  const value = valueFromWire(item.value, ctx.limits);
  if (value.data.type === "none" && !ctx.store.options.storeNoneValues) return { skipped: true };
  const input = ctx.encode(key, value, ctx.mode(item.mode), item.model);
  return {
    skipped: false,
    op: { type: "put", key, input, ttlMs: ttlMs(item.ttl), ...writeCondition(item.precondition) },
  };
}

export function prepareDelete(item: {
  readonly key: string;
  readonly precondition?: Precondition | undefined;
}): Extract<StoreOp, { type: "del" }> {
  return { type: "del", key: item.key, ...writeCondition(item.precondition) };
}

/**
 * A request's precondition as a store condition. Its shape (one of the two, a positive
 * revision, absent true) is declared in the .proto and checked by the request validation.
 */
export function writeCondition(precondition: Precondition | undefined): WriteCondition {
  switch (precondition?.condition.case) {
    case "revision":
      return { ifRevision: Number(precondition.condition.value) };
    case "absent":
      return { ifAbsent: true };
    default:
      return {};
  }
}

/** Request-level check of a many-item call: RESOURCE_EXHAUSTED beyond the batch size. */
export function checkBatchSize(ctx: HandlerContext, count: number, what: string): void {
  if (count > ctx.maxBatchSize)
    throw new AnykvError(
      "LIMIT_EXCEEDED",
      `${count} ${what} in one call; the server allows at most ${ctx.maxBatchSize} (--max-batch-size)`,
    );
}
