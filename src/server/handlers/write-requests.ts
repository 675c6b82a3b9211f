import type { DeleteRequest, PutRequest } from "../../../gen/anykv/v1/store_pb.js";
import { valueFromWire } from "../../codec/wire-value.js";
import { AnykvError } from "../../errors.js";
import type { StoreOp, WriteCondition } from "../../store/store.js";
import { type HandlerContext, ttlMs } from "./handler-context.js";

/** A PutRequest made ready for the store, or a put of null that the server skips. */
export type PreparedPut =
  | { readonly skipped: false; readonly op: Extract<StoreOp, { type: "put" }> }
  | { readonly skipped: true };

/**
 * Validates and serializes one PutRequest as Put does, without writing it:
 * PutMany and Batch items go through here. Throws the item's error.
 */
export function preparePut(ctx: HandlerContext, req: PutRequest): PreparedPut {
  const key = ctx.store.key(req.key);
  const value = valueFromWire(req.value, ctx.limits);
  if (value.data.type === "none" && !ctx.store.options.storeNoneValues) return { skipped: true };
  const input = ctx.encode(key, value, ctx.mode(req.mode), req.model);
  return { skipped: false, op: { type: "put", key, input, ttlMs: ttlMs(req.ttl), ...writeCondition(req) } };
}

export function prepareDelete(req: DeleteRequest): Extract<StoreOp, { type: "del" }> {
  return { type: "del", key: req.key, ...writeCondition(req) };
}

/**
 * The request's if_revision / if_absent as a store condition. The store checks
 * its shape (a positive safe integer, not both), per item.
 */
export function writeCondition(req: {
  readonly ifRevision?: bigint | undefined;
  readonly ifAbsent: boolean;
}): WriteCondition {
  const condition: { ifRevision?: number; ifAbsent?: boolean } = {};
  if (req.ifRevision !== undefined) condition.ifRevision = Number(req.ifRevision);
  if (req.ifAbsent) condition.ifAbsent = true;
  return condition;
}

/** Request-level check of a many-item call: RESOURCE_EXHAUSTED beyond the batch size. */
export function checkBatchSize(ctx: HandlerContext, count: number, what: string): void {
  if (count > ctx.maxBatchSize)
    throw new AnykvError(
      "LIMIT_EXCEEDED",
      `${count} ${what} in one call; the server allows at most ${ctx.maxBatchSize} (--max-batch-size)`,
    );
}

/** Request-level check: an item's namespace must be empty or the request's. */
export function checkItemNamespace(
  namespace: string,
  item: { readonly namespace: string },
  index: number,
): void {
  if (item.namespace !== "" && item.namespace !== namespace)
    throw new AnykvError(
      "INVALID_ARGUMENT",
      `item ${index} names namespace "${item.namespace}", not the request's "${namespace}"; leave it empty`,
    );
}
