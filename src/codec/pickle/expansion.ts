import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import { EXPANSION_ALLOWANCE, LIMIT_FLAGS, type PickleLimits } from "./pickle-limits.js";

/**
 * Running totals of how big a decoded value is once every memo reference is
 * expanded, so that a "billion laughs" pickle (each level a list of ten
 * references to the level below) is refused after a few thousand steps of
 * work instead of after exhausting memory. Each container's totals are
 * computed once, from its children's, and added wherever it is referenced.
 */
export interface Size {
  /** Values in the subtree, the container itself included. */
  count: number;
  /** Payload in the subtree (see PickleLimits.maxBytes). */
  payload: number;
  /** 0 for a scalar, 1 + the deepest child for a container. */
  height: number;
}

export class Expansion {
  /** Sizes of the tuples and frozensets the reader builds as Data right away. */
  private readonly containers = new WeakMap<Data, Size>();
  /** Payload of ints read from LONG opcodes; smaller ints count as nothing. */
  private readonly bigInts = new WeakMap<Data, number>();

  /** The payload this pickle may expand to: maxBytes, or less by maxExpansion for its size. */
  private readonly maxPayload: number;
  private readonly byRatio: boolean;

  constructor(
    readonly limits: PickleLimits,
    /** Size of the pickle, for maxExpansion. */
    private readonly inputBytes: number,
  ) {
    const ratioBound = EXPANSION_ALLOWANCE + limits.maxExpansion * inputBytes;
    this.byRatio = ratioBound < limits.maxBytes;
    this.maxPayload = Math.min(ratioBound, limits.maxBytes);
  }

  noteBigInt(d: Data, bytes: number): void {
    if (bytes > 8) this.bigInts.set(d, bytes);
  }

  /** Adds `child` (found `depth` levels below the root) to its parent's running `total`. */
  add(total: Size, child: Data, depth: number): void {
    switch (child.type) {
      case "str":
        total.count += 1;
        total.payload += child.value.length;
        break;
      case "bytes":
      case "bytearray":
        total.count += 1;
        total.payload += child.value.byteLength;
        break;
      case "int":
        total.count += 1;
        total.payload += this.bigInts.get(child) ?? 0;
        break;
      case "tuple":
      case "frozenset": {
        let size = this.containers.get(child);
        if (size === undefined) {
          // Every tuple the reader builds is recorded; measure any other one now.
          this.record(child, child.items);
          size = this.containers.get(child) as Size;
        }
        this.addSize(total, size, depth);
        return;
      }
      default:
        total.count += 1;
    }
    this.check(total);
  }

  /** Adds a container of known `size` (at `depth`) to its parent's running `total`. */
  addSize(total: Size, size: Size, depth: number): void {
    if (depth + size.height > this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    total.count += size.count;
    total.payload += size.payload;
    if (size.height + 1 > total.height) total.height = size.height + 1;
    this.check(total);
  }

  /** Records a tuple or frozenset built from Data, refusing it early if it is already too big. */
  record(container: Data, items: readonly Data[]): void {
    const total: Size = { count: 1, payload: 0, height: 1 };
    for (const item of items) this.add(total, item, 1);
    if (total.height > this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    this.containers.set(container, total);
  }

  check(total: Size): void {
    if (total.count > this.limits.maxItems) {
      throw new AnykvError(
        "LIMIT_EXCEEDED",
        `pickle expands to more than ${this.limits.maxItems} values (memo references counted each time); ` +
          `limit maxItems, raised with ${LIMIT_FLAGS.maxItems}`,
      );
    }
    if (total.payload > this.maxPayload) {
      throw new AnykvError(
        "LIMIT_EXCEEDED",
        this.byRatio
          ? `pickle of ${this.inputBytes} bytes expands to more than ${this.maxPayload} bytes of str/bytes/int ` +
              `payload (memo references counted each time), over ${this.limits.maxExpansion} bytes per byte; ` +
              `limit maxExpansion, raised with ${LIMIT_FLAGS.maxExpansion}`
          : `pickle expands to more than ${this.maxPayload} bytes of str/bytes/int payload; limit maxBytes, raised with ${LIMIT_FLAGS.maxBytes}`,
      );
    }
  }
}

export function tooDeep(maxDepth: number): AnykvError {
  return new AnykvError(
    "DECODE_FAILED",
    `pickle nests containers more than ${maxDepth} levels deep; limit maxDepth`,
  );
}
