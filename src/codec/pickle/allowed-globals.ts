import { AnykvError } from "../../errors.js";
import {
  bytesData,
  callBytearray,
  callBytes,
  callEncode,
  callFrozenset,
  callSet,
  callTuple,
  noArgs,
} from "./builtin-calls.js";
import { callDate, callDateTime, callTime, callTimedelta, callTimezone } from "./datetime-calls.js";
import type { Args, GlobalCall } from "./global-args.js";
import type { NodeBuilder } from "./node-builder.js";
import {
  DictNode,
  GlobalNode,
  ListNode,
  type Node,
  SetNode,
  TimezoneNode,
  typeName,
} from "./reader-nodes.js";

/**
 * The only module attributes a pickle may name, and what calling them means.
 * Each is re-implemented over the reader's nodes (builtin-calls.ts,
 * datetime-calls.ts); nothing is looked up or executed.
 */

interface Allowed {
  /** `f(*args)`, for REDUCE. */
  readonly call: GlobalCall;
  /** `cls.__new__(cls, *args)`, for NEWOBJ; absent for functions, which have no __new__. */
  readonly construct?: GlobalCall;
}

/** Mutable types: __new__ ignores its arguments and __init__ (which NEWOBJ skips) fills them. */
const emptyOnNew = (make: () => Node) => (): Node => make();

const ALLOWED = new Map<string, Allowed>([
  ["builtins.set", { call: callSet, construct: emptyOnNew(() => new SetNode()) }],
  ["builtins.frozenset", { call: callFrozenset, construct: callFrozenset }],
  ["builtins.bytearray", { call: callBytearray, construct: emptyOnNew(() => bytesData("bytearray")) }],
  ["builtins.bytes", { call: callBytes, construct: callBytes }],
  ["builtins.list", { call: noArgs(() => new ListNode()), construct: emptyOnNew(() => new ListNode()) }],
  ["builtins.dict", { call: noArgs(() => new DictNode()), construct: emptyOnNew(() => new DictNode()) }],
  ["builtins.tuple", { call: callTuple, construct: callTuple }],
  [
    "collections.OrderedDict",
    {
      call: noArgs(() => new DictNode("collections.OrderedDict")),
      construct: emptyOnNew(() => new DictNode("collections.OrderedDict")),
    },
  ],
  ["_codecs.encode", { call: callEncode }],
  ["datetime.datetime", { call: callDateTime, construct: callDateTime }],
  ["datetime.date", { call: callDate, construct: callDate }],
  ["datetime.time", { call: callTime, construct: callTime }],
  ["datetime.timedelta", { call: callTimedelta, construct: callTimedelta }],
  ["datetime.timezone", { call: callTimezone, construct: callTimezone }],
]);

/** Python 3 reads protocol 0–2 pickles with fix_imports, which maps Python 2 module names. */
const PY2_MODULES = new Map([
  ["__builtin__", "builtins"],
  ["copy_reg", "copyreg"],
]);

/**
 * The node a GLOBAL or STACK_GLOBAL pushes. A refused name yields an inert
 * node: the reader notes it and fails with refusal() once the pickle tries
 * to use it (or at STOP), so that the message can name every refused global
 * involved — getattr(zoneinfo.ZoneInfo, "_unpickle") is more telling than getattr.
 */
export function resolveGlobal(module: string, name: string): Node {
  const qualified = `${PY2_MODULES.get(module) ?? module}.${name}`;
  if (qualified === "datetime.timezone.utc") return new TimezoneNode(0);
  // A refused name is reported as the pickle spells it (__builtin__.eval, not builtins.eval).
  return ALLOWED.has(qualified)
    ? new GlobalNode(qualified, true)
    : new GlobalNode(`${module}.${name}`, false);
}

/** "pickle refers to os.system, which anykv does not load" (names as given, made printable). */
export function refusal(names: readonly string[]): AnykvError {
  const shown = names.map(printable);
  const list = shown.length <= 1 ? (shown[0] ?? "") : `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
  return new AnykvError("DECODE_FAILED", `pickle refers to ${list}, which anykv does not load`);
}

export function callGlobal(target: Node, args: Args, opcode: "REDUCE" | "NEWOBJ", b: NodeBuilder): Node {
  if (target.type !== "@global") {
    throw new AnykvError(
      "DECODE_FAILED",
      `pickle applies ${opcode} to a ${typeName(target)}, which is not callable`,
    );
  }
  const name = target.qualifiedName;
  if (!target.allowed) throw refusal([name]);
  const allowed = ALLOWED.get(name);
  const fn = opcode === "REDUCE" ? allowed?.call : allowed?.construct;
  if (fn === undefined)
    throw new AnykvError("DECODE_FAILED", `pickle applies ${opcode} to ${name}, which is not a class`);
  return fn(args, b, name);
}

/** A name from the pickle, made safe to put in a message (no control characters, bounded length). */
function printable(text: string): string {
  const clipped = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return JSON.stringify(clipped).slice(1, -1);
}
