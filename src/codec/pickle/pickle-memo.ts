import { AnykvError } from "../../errors.js";
import type { Node } from "./reader-nodes.js";

/**
 * The unpickler's memo. Python's is a dict, but pickles number entries 0, 1,
 * 2, … (MEMOIZE uses the memo's size), so an array holds them; an index past
 * its end, as a hand-written PUT 1000000 makes, goes to a map instead.
 */
export class PickleMemo {
  private readonly dense: Node[] = [];
  private readonly sparse = new Map<number, Node>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.dense.length + this.sparse.size;
  }

  get(index: number): Node | undefined {
    return index < this.dense.length ? this.dense[index] : this.sparse.get(index);
  }

  put(index: number, node: Node): void {
    if (index < this.dense.length) {
      this.dense[index] = node;
    } else if (index === this.dense.length) {
      this.dense.push(node);
      // The array now owns this index; drop any earlier sparse entry for it.
      if (this.sparse.size > 0) this.sparse.delete(index);
    } else {
      this.sparse.set(index, node);
    }
    if (this.size > this.maxEntries) {
      throw new AnykvError(
        "DECODE_FAILED",
        `pickle stores more than ${this.maxEntries} memo entries; limit maxMemo`,
      );
    }
  }
}
