import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import { callGlobal, refusal, resolveGlobal } from "./allowed-globals.js";
import { Expansion } from "./expansion.js";
import { freeze } from "./freeze.js";
import { NodeBuilder } from "./node-builder.js";
import { HIGHEST_PROTOCOL, Op, opcodeName } from "./opcodes.js";
import { PickleInput } from "./pickle-input.js";
import { defaultPickleLimits, type PickleLimits, resolvePickleLimits } from "./pickle-limits.js";
import { PickleMemo } from "./pickle-memo.js";
import { PickleStack } from "./pickle-stack.js";
import { DictNode, ListNode, type Node, SetNode, typeName } from "./reader-nodes.js";
import { readScalar } from "./scalar-opcodes.js";
import { badText, latin1String } from "./text-literals.js";
import { decodeUtf8 } from "./utf8.js";

// The opcodes as local constants: the hot switch compares against these, and a
// local constant is cheaper to read than a property (and than a bundler's import getter).
const {
  ADDITEMS,
  APPEND,
  APPENDS,
  BINGET,
  BINPERSID,
  BINPUT,
  BUILD,
  DICT,
  DUP,
  EMPTY_DICT,
  EMPTY_LIST,
  EMPTY_SET,
  EMPTY_TUPLE,
  EXT1,
  EXT2,
  EXT4,
  FRAME,
  FROZENSET,
  GET,
  GLOBAL,
  INST,
  LIST,
  LONG_BINGET,
  LONG_BINPUT,
  MARK,
  MEMOIZE,
  NEWOBJ,
  NEWOBJ_EX,
  NEXT_BUFFER,
  OBJ,
  PERSID,
  POP,
  POP_MARK,
  PROTO,
  PUT,
  READONLY_BUFFER,
  REDUCE,
  SETITEM,
  SETITEMS,
  STACK_GLOBAL,
  STOP,
  TUPLE,
  TUPLE1,
  TUPLE2,
  TUPLE3,
} = Op;

/**
 * A data-only unpickler for protocols 0–5 as CPython's pickle and cloudpickle
 * write them. It runs the pickle machine over its own node types (see
 * reader-nodes.ts), refuses every opcode and global that would restore an
 * arbitrary object (allowed-globals.ts), and converts the result to Data at
 * STOP (freeze.ts). It never calls anything, never recurses per opcode, and
 * bounds what it builds by `limits`; the only error it throws is AnykvError.
 *
 * Where Python 3 has a choice, it reads as `pickle.loads(b, encoding="latin1")`
 * does: a Python 2 str (STRING, BINSTRING, SHORT_BINSTRING) becomes a str of
 * the same byte values, which is also what makes Python 2 datetimes load.
 * Unlike pickle.loads, it refuses bytes after STOP.
 */
export function decodePickle(bytes: Uint8Array, limits?: Partial<PickleLimits>): Data {
  const unpickler = new Unpickler(
    bytes,
    limits === undefined || limits === defaultPickleLimits
      ? defaultPickleLimits
      : resolvePickleLimits(limits),
  );
  try {
    const value = unpickler.load();
    if (unpickler.refused.length > 0) throw refusal(unpickler.refused);
    return value;
  } catch (err) {
    // Whatever went wrong after a refused global appeared, the refused global is the reason to report.
    if (unpickler.refused.length > 0) throw refusal(unpickler.refused);
    // The limits keep well-formed input far from these, but a caller may raise the limits
    // past what this process can hold; that is still a pickle we cannot decode, not a crash.
    if (err instanceof RangeError) {
      throw new AnykvError("DECODE_FAILED", "pickle is too large or too deeply nested to decode here", {
        cause: err,
      });
    }
    throw err;
  }
}

/** Opcodes that restore arbitrary objects or need out-of-band data: refused by name. */
const REFUSED = new Set<number>([
  INST,
  OBJ,
  NEWOBJ_EX,
  BUILD,
  PERSID,
  BINPERSID,
  EXT1,
  EXT2,
  EXT4,
  NEXT_BUFFER,
  READONLY_BUFFER,
]);

const failure = (message: string): AnykvError => new AnykvError("DECODE_FAILED", message);

/** A few refused names make the message; past that, stop reading. */
const MAX_REFUSED_NAMES = 5;

class Unpickler {
  private readonly input: PickleInput;
  private readonly expansion: Expansion;
  private readonly build: NodeBuilder;
  private readonly stack = new PickleStack();
  private readonly memo: PickleMemo;
  /** Distinct refused globals seen so far. */
  readonly refused: string[] = [];

  constructor(bytes: Uint8Array, limits: PickleLimits) {
    this.input = new PickleInput(bytes);
    this.expansion = new Expansion(limits, bytes.length);
    this.build = new NodeBuilder(this.expansion);
    this.memo = new PickleMemo(limits.maxMemo);
  }

  load(): Data {
    const { input, stack, build } = this;
    for (;;) {
      if (input.remaining === 0) {
        throw failure(`truncated pickle: it ends at byte ${input.pos} without a STOP opcode`);
      }
      const at = input.pos;
      const op = input.u8("opcode");
      stack.at = at;
      stack.op = op;
      switch (op) {
        case PROTO: {
          const version = input.u8("PROTO");
          if (version > HIGHEST_PROTOCOL) throw failure(`unsupported pickle protocol ${version}`);
          break;
        }
        case FRAME: {
          // Frames only group opcodes for buffered reading; the content is read as usual.
          const size = input.u64("FRAME");
          if (size > input.remaining) {
            throw failure(
              `truncated pickle: FRAME at byte ${at} announces ${size} bytes but ${input.remaining} remain`,
            );
          }
          break;
        }
        case STOP: {
          const value = stack.pop();
          if (input.remaining > 0) {
            throw failure(`pickle has ${input.remaining} bytes of trailing data after STOP at byte ${at}`);
          }
          // Like CPython, ignore whatever is left below the result.
          return freeze(value, this.expansion);
        }

        case MARK:
          stack.mark();
          break;
        case POP:
          stack.popItemOrMark();
          break;
        case POP_MARK:
          stack.popMark();
          break;
        case DUP:
          stack.push(stack.top());
          break;

        case EMPTY_TUPLE:
          stack.push(build.tuple([]));
          break;
        case TUPLE:
          stack.push(build.tuple(stack.popMark()));
          break;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3:
          stack.push(build.tuple(stack.popN(op - TUPLE1 + 1)));
          break;
        case EMPTY_LIST:
          stack.push(new ListNode());
          break;
        case LIST:
          stack.push(new ListNode(stack.popMark()));
          break;
        case APPEND: {
          const value = stack.pop();
          stack.target("@list").items.push(value);
          break;
        }
        case APPENDS: {
          const start = stack.openMark();
          const list = stack.targetBelow(start, "@list").items;
          for (let i = start; i < stack.items.length; i += 1) list.push(stack.items[i] as Node);
          stack.truncate(start);
          break;
        }
        case EMPTY_DICT:
          stack.push(new DictNode());
          break;
        case DICT: {
          const dict = new DictNode();
          this.setItems(dict, stack.popMark(), 0);
          stack.push(dict);
          break;
        }
        case SETITEM: {
          const value = stack.pop();
          const key = stack.pop();
          build.dictSet(stack.target("@dict"), key, value);
          break;
        }
        case SETITEMS: {
          const start = stack.openMark();
          this.setItems(stack.targetBelow(start, "@dict"), stack.items, start);
          stack.truncate(start);
          break;
        }
        case EMPTY_SET:
          stack.push(new SetNode());
          break;
        case ADDITEMS: {
          const start = stack.openMark();
          const set = stack.targetBelow(start, "@set");
          for (let i = start; i < stack.items.length; i += 1) build.setAdd(set, stack.items[i] as Node);
          stack.truncate(start);
          break;
        }
        case FROZENSET:
          stack.push(build.frozenset(stack.popMark()));
          break;

        case GET:
          stack.push(this.memoGet(this.textIndex("GET", at), at));
          break;
        case BINGET:
          stack.push(this.memoGet(input.u8("BINGET"), at));
          break;
        case LONG_BINGET:
          stack.push(this.memoGet(input.u32("LONG_BINGET"), at));
          break;
        case PUT:
          this.memo.put(this.textIndex("PUT", at), stack.top());
          break;
        case BINPUT:
          this.memo.put(input.u8("BINPUT"), stack.top());
          break;
        case LONG_BINPUT:
          this.memo.put(input.u32("LONG_BINPUT"), stack.top());
          break;
        case MEMOIZE:
          this.memo.put(this.memo.size, stack.top());
          break;

        case GLOBAL: {
          // Python 3 decodes GLOBAL's two lines as UTF-8.
          const module = decodeUtf8(input.line("GLOBAL"));
          const name = decodeUtf8(input.line("GLOBAL"));
          stack.push(this.global(module, name));
          break;
        }
        case STACK_GLOBAL: {
          const name = stack.pop();
          const module = stack.pop();
          if (module.type !== "str" || name.type !== "str") {
            throw failure(`pickle has a STACK_GLOBAL at byte ${at} whose module and name are not both str`);
          }
          stack.push(this.global(module.value, name.value));
          break;
        }
        case REDUCE:
        case NEWOBJ: {
          const args = stack.pop();
          const callable = stack.pop();
          if (args.type !== "tuple" && args.type !== "@tuple") {
            throw failure(
              `pickle passes a ${typeName(args)} instead of a tuple to ${opcodeName(op)} at byte ${at}`,
            );
          }
          stack.push(callGlobal(callable, args.items, op === REDUCE ? "REDUCE" : "NEWOBJ", build));
          break;
        }

        default: {
          const scalar = readScalar(op, at, input, this.expansion);
          if (scalar !== undefined) {
            stack.push(scalar);
            break;
          }
          if (REFUSED.has(op)) {
            throw failure(`pickle uses opcode ${opcodeName(op)} at byte ${at}, which anykv does not load`);
          }
          throw failure(`pickle has ${opcodeName(op)} at byte ${at}`);
        }
      }
    }
  }

  /** Pushes an allow-listed global, or an inert node for a refused one whose name is noted (see resolveGlobal). */
  private global(module: string, name: string): Node {
    const node = resolveGlobal(module, name);
    if (node.type === "@global" && !node.allowed) {
      if (!this.refused.includes(node.qualifiedName)) this.refused.push(node.qualifiedName);
      if (this.refused.length >= MAX_REFUSED_NAMES) throw refusal(this.refused);
    }
    return node;
  }

  /** `dict[k] = v` for the pairs in `items` from `start` on. */
  private setItems(dict: DictNode, items: readonly Node[], start: number): void {
    if ((items.length - start) % 2 !== 0) {
      throw failure(
        `pickle has an odd number of items for ${opcodeName(this.stack.op)} at byte ${this.stack.at}`,
      );
    }
    for (let i = start; i < items.length; i += 2)
      this.build.dictSet(dict, items[i] as Node, items[i + 1] as Node);
  }

  private memoGet(index: number, at: number): Node {
    const node = this.memo.get(index);
    if (node === undefined)
      throw failure(`pickle refers to memo entry ${index} at byte ${at}, which was never stored`);
    return node;
  }

  /** GET/PUT's decimal argument. */
  private textIndex(opcode: string, at: number): number {
    const text = latin1String(this.input.line(opcode)).trim();
    if (!/^\+?\d{1,15}$/.test(text)) throw badText(opcode, at);
    return Number(text);
  }
}
