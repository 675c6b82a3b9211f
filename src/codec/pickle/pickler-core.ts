import { encodeLong } from "./long-codec.js";
import { Op } from "./opcodes.js";
import { PickleOutput } from "./pickle-output.js";

// The opcodes as local constants: the hot switch compares against these, and a
// local constant is cheaper to read than a property (and than a bundler's import getter).
const {
  BINBYTES,
  BINBYTES8,
  BINGET,
  BININT,
  BININT1,
  BININT2,
  EMPTY_TUPLE,
  LONG1,
  LONG4,
  LONG_BINGET,
  MEMOIZE,
  REDUCE,
  SHORT_BINBYTES,
  STACK_GLOBAL,
  TUPLE1,
} = Op;

/**
 * The writer's shared machinery: the output, the memo counter, and the
 * opcodes every kind of value uses (ints, bytes, globals, `f(*args)`), each
 * written as CPython's C pickler writes it, opcode boundaries included.
 */
export class PicklerCore {
  readonly out = new PickleOutput();
  private memoSize = 0;
  /** Memo indexes of module-name strings and of globals already written (Python memoizes both). */
  private readonly moduleNames = new Map<string, number>();
  private readonly globals = new Map<string, number>();

  /** MEMOIZE the value just written; returns its memo index. */
  memoize(): number {
    this.out.op(MEMOIZE);
    return this.memoSize++;
  }

  get(index: number): void {
    if (index < 256) this.out.opU8(BINGET, index);
    else this.out.opU32(LONG_BINGET, index);
  }

  /** BININT1/BININT2/BININT when the int fits, else LONG1/LONG4 (CPython's save_long). */
  saveInt(v: bigint): void {
    if (v >= 0n && v <= 0xffn) this.out.opU8(BININT1, Number(v));
    else if (v >= 0n && v <= 0xffffn) this.out.opU16(BININT2, Number(v));
    else if (v >= -0x8000_0000n && v <= 0x7fff_ffffn) this.out.opI32(BININT, Number(v));
    else {
      const bytes = encodeLong(v);
      if (bytes.length < 256) this.out.opPayload(LONG1, 1, bytes);
      else this.out.opPayload(LONG4, 4, bytes);
    }
  }

  saveBytes(value: Uint8Array): void {
    if (value.length <= 0xff) this.out.opPayload(SHORT_BINBYTES, 1, value);
    else if (value.length > 0xffff_ffff) this.out.opPayload(BINBYTES8, 8, value);
    else this.out.opPayload(BINBYTES, 4, value);
    this.memoize();
    this.out.boundary();
  }

  /** STACK_GLOBAL of module.name, or a memo reference once it has been written. */
  saveGlobal(module: string, name: string): void {
    const key = `${module}.${name}`;
    const known = this.globals.get(key);
    if (known !== undefined) {
      this.get(known);
    } else {
      const moduleIndex = this.moduleNames.get(module);
      if (moduleIndex !== undefined) {
        this.get(moduleIndex);
      } else {
        this.out.str(module);
        this.moduleNames.set(module, this.memoize());
      }
      this.out.boundary();
      this.out.str(name);
      this.memoize();
      this.out.boundary();
      this.out.op(STACK_GLOBAL);
      this.globals.set(key, this.memoize());
    }
    this.out.boundary();
  }

  /**
   * `module.name(*args)` as CPython's save_reduce writes it: the global, the
   * arguments (written by `saveArgs`, `argCount` of them) as a tuple, REDUCE.
   * Returns the result's memo index.
   */
  reduce(module: string, name: string, argCount: number, saveArgs: () => void): number {
    this.saveGlobal(module, name);
    saveArgs();
    if (argCount === 0) {
      this.out.op(EMPTY_TUPLE);
    } else {
      this.out.op(TUPLE1 + argCount - 1);
      this.memoize();
    }
    this.out.boundary();
    this.out.op(REDUCE);
    return this.memoize();
  }
}
