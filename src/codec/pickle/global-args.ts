import { AnykvError } from "../../errors.js";
import type { NodeBuilder } from "./node-builder.js";
import { type Node, typeName } from "./reader-nodes.js";

/** What every allow-listed callable receives: the argument tuple's items, the builder, and its own name. */
export type Args = readonly Node[];
export type GlobalCall = (args: Args, b: NodeBuilder, name: string) => Node;

/** "pickle calls datetime.datetime(str); anykv reads only datetime.datetime(…)". */
export function badArgs(name: string, args: Args, expected: string): AnykvError {
  const got = args.map(typeName).join(", ");
  return new AnykvError(
    "DECODE_FAILED",
    `pickle calls ${name}(${got}); anykv reads only ${name}(${expected})`,
  );
}
