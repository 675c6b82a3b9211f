import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import { type Args, badArgs, type GlobalCall } from "./global-args.js";
import type { NodeBuilder } from "./node-builder.js";
import { type Node, SetNode } from "./reader-nodes.js";
import { encodeUtf8 } from "./utf8.js";

/**
 * builtins.set/frozenset/bytearray/bytes/tuple and _codecs.encode, as
 * CPython's picklers call them for protocols 0–3, re-implemented over the
 * reader's nodes (see allowed-globals.ts).
 */

/** A callable that takes no arguments and returns a new `make()`. */
export function noArgs(make: () => Node): GlobalCall {
  return (args: Args, _b: NodeBuilder, name: string): Node => {
    if (args.length !== 0) throw badArgs(name, args, "");
    return make();
  };
}

export function bytesData(type: "bytes" | "bytearray", value: Uint8Array = new Uint8Array(0)): Data {
  return { type, value };
}

/** The items of a list, tuple, set or frozenset argument (what Python's pickler passes to set() and friends). */
function iterableItems(arg: Node | undefined): readonly Node[] | undefined {
  switch (arg?.type) {
    case "@list":
    case "@tuple":
    case "@set":
    case "tuple":
    case "frozenset":
      return arg.items;
    default:
      return undefined;
  }
}

export function callSet(args: Args, b: NodeBuilder, name: string): Node {
  const set = new SetNode();
  const items = args.length === 0 ? [] : iterableItems(args[0]);
  if (items === undefined || args.length > 1) throw badArgs(name, args, "[list | tuple | set]");
  for (const item of items) b.setAdd(set, item);
  return set;
}

export function callFrozenset(args: Args, b: NodeBuilder, name: string): Node {
  const items = args.length === 0 ? [] : iterableItems(args[0]);
  if (items === undefined || args.length > 1) throw badArgs(name, args, "[list | tuple | set]");
  return b.frozenset(items);
}

export function callTuple(args: Args, b: NodeBuilder, name: string): Node {
  const items = args.length === 0 ? [] : iterableItems(args[0]);
  if (items === undefined || args.length > 1) throw badArgs(name, args, "[list | tuple]");
  return b.tuple([...items]);
}

export function callBytes(args: Args, _b: NodeBuilder, name: string): Node {
  const [arg] = args;
  if (args.length === 0) return bytesData("bytes");
  if (args.length === 1 && arg?.type === "bytes") return arg;
  throw badArgs(name, args, "[bytes]");
}

export function callBytearray(args: Args, _b: NodeBuilder, name: string): Node {
  const [arg] = args;
  if (args.length === 0) return bytesData("bytearray");
  if (args.length === 1 && arg?.type === "bytes") return bytesData("bytearray", arg.value.slice());
  // Python ≤ 3.7 pickled bytearray for protocols 0–2 as bytearray(latin1_str, "latin-1").
  if (args.length >= 2) return bytesData("bytearray", encodeStr(args, name));
  throw badArgs(name, args, "[bytes] | str, encoding");
}

/** Protocols 0–2 have no bytes opcode: CPython writes bytes as _codecs.encode(latin1_str, "latin1"). */
export function callEncode(args: Args, _b: NodeBuilder, name: string): Node {
  return bytesData("bytes", encodeStr(args, name));
}

const ENCODINGS = new Map([
  ["latin1", "latin1"],
  ["latin_1", "latin1"],
  ["iso_8859_1", "latin1"],
  ["iso8859_1", "latin1"],
  ["l1", "latin1"],
  ["utf_8", "utf8"],
  ["utf8", "utf8"],
  ["ascii", "ascii"],
  ["us_ascii", "ascii"],
]);

/** `str.encode(encoding[, "strict"])` for the encodings CPython's picklers use. */
function encodeStr(args: Args, name: string): Uint8Array {
  const [text, encodingArg, errors] = args;
  const encoding =
    encodingArg === undefined
      ? "utf8"
      : encodingArg.type === "str"
        ? ENCODINGS.get(encodingArg.value.toLowerCase().replace(/[- ]/g, "_"))
        : undefined;
  const strictErrors = errors === undefined || (errors.type === "str" && errors.value === "strict");
  if (text?.type !== "str" || encoding === undefined || !strictErrors || args.length > 3) {
    throw badArgs(name, args, "str, 'latin1' | 'utf-8' | 'ascii'");
  }
  if (encoding === "utf8") return encodeUtf8(text.value);
  const limit = encoding === "latin1" ? 0xff : 0x7f;
  const out = new Uint8Array(text.value.length);
  for (let i = 0; i < out.length; i += 1) {
    const c = text.value.charCodeAt(i);
    if (c > limit)
      throw new AnykvError("DECODE_FAILED", `pickle calls ${name} on a str that ${encoding} cannot encode`);
    out[i] = c;
  }
  return out;
}
