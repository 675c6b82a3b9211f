import { AnykvError } from "../../errors.js";
import { opcodeName } from "./opcodes.js";
import { type Node, typeName } from "./reader-nodes.js";

/**
 * The unpickler's stack with Python's marks. CPython splits it into a stack
 * of stacks (a MARK starts a new one); this keeps one array and the heights
 * at which marks were set, and refuses to reach below the top mark, which
 * gives the same "stack underflow" behaviour.
 */
export class PickleStack {
  readonly items: Node[] = [];
  private readonly marks: number[] = [];
  /** The top mark's height: nothing below it is reachable until POP_MARK or a mark-consuming opcode. */
  private base = 0;
  /** The opcode being run and its offset, for messages; the reader sets them. */
  op = 0;
  at = 0;

  private fail(message: string): never {
    throw new AnykvError("DECODE_FAILED", message);
  }

  private underflow(): never {
    this.fail(
      `pickle stack underflow: ${opcodeName(this.op)} at byte ${this.at} has too few items to work on`,
    );
  }

  push(node: Node): void {
    this.items.push(node);
  }

  pop(): Node {
    if (this.items.length <= this.base) this.underflow();
    return this.items.pop() as Node;
  }

  top(): Node {
    const node = this.items[this.items.length - 1];
    if (this.items.length <= this.base || node === undefined) this.underflow();
    return node;
  }

  /** The top `n` items, removed (TUPLE1–3). */
  popN(n: number): Node[] {
    if (this.items.length - n < this.base) this.underflow();
    return this.items.splice(this.items.length - n, n);
  }

  mark(): void {
    this.marks.push(this.items.length);
    this.base = this.items.length;
  }

  /** Everything above the top mark, which is removed. */
  popMark(): Node[] {
    const mark = this.marks.pop();
    if (mark === undefined)
      this.fail(`pickle has ${opcodeName(this.op)} at byte ${this.at} without a MARK before it`);
    this.base = this.marks[this.marks.length - 1] ?? 0;
    return this.items.splice(mark);
  }

  /**
   * Removes the top mark and returns where the items above it start. They
   * stay on the stack (so that APPENDS and friends copy no array) until
   * truncate(start).
   */
  openMark(): number {
    const mark = this.marks.pop();
    if (mark === undefined)
      this.fail(`pickle has ${opcodeName(this.op)} at byte ${this.at} without a MARK before it`);
    this.base = this.marks[this.marks.length - 1] ?? 0;
    return mark;
  }

  truncate(start: number): void {
    this.items.length = start;
  }

  /** The container below an opened mark at `start` that APPENDS, SETITEMS or ADDITEMS fill. */
  targetBelow<T extends "@list" | "@dict" | "@set">(start: number, type: T): Extract<Node, { type: T }> {
    const node = this.items[start - 1];
    if (start <= this.base || node === undefined) this.underflow();
    if (node.type !== type)
      this.fail(`pickle applies ${opcodeName(this.op)} at byte ${this.at} to a ${typeName(node)}`);
    return node as Extract<Node, { type: T }>;
  }

  /** POP: as in CPython, with nothing above the top mark it discards the mark instead. */
  popItemOrMark(): void {
    if (this.items.length > this.base) this.items.pop();
    else if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.items.length) this.popMark();
    else this.underflow();
  }

  /** The container that APPEND(S), SETITEM(S) or ADDITEMS fill: the top item, of the right kind. */
  target<T extends "@list" | "@dict" | "@set">(type: T): Extract<Node, { type: T }> {
    const node = this.top();
    if (node.type !== type)
      this.fail(`pickle applies ${opcodeName(this.op)} at byte ${this.at} to a ${typeName(node)}`);
    return node as Extract<Node, { type: T }>;
  }
}
