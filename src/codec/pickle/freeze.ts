import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import { type Expansion, type Size, tooDeep } from "./expansion.js";
import type { ContainerNode, DictNode, Node } from "./reader-nodes.js";

/** The dict key that marks anykv's code values inside pickles (see pickle-writer.ts). */
export const CODE_MARKER_KEY = "__anykv_code__";

/**
 * Turns the unpickled value into immutable Data once STOP is reached, when
 * every APPENDS/SETITEMS has happened. A node referenced twice (via the memo)
 * is converted once and shared, but its size counts at every reference; a
 * node reached again while it is being converted contains itself, which Data
 * cannot express. Recursion is bounded by maxDepth, which is checked before
 * descending, so the JS stack never grows past it.
 */
export function freeze(root: Node, expansion: Expansion): Data {
  const total: Size = { count: 0, payload: 0, height: 0 };
  return visit(root, 0, total, expansion);
}

function visit(node: Node, depth: number, parent: Size, expansion: Expansion): Data {
  switch (node.type) {
    case "@list":
    case "@dict":
    case "@set":
    case "@tuple":
      return visitContainer(node, depth, parent, expansion);
    case "@global":
      throw new AnykvError(
        "DECODE_FAILED",
        `pickle holds ${node.qualifiedName} itself rather than a value made with it, which is not data`,
      );
    case "@timezone":
      throw new AnykvError(
        "DECODE_FAILED",
        "pickle holds a datetime.timezone on its own; anykv reads timezones only as a datetime's or time's tzinfo",
      );
    default:
      expansion.add(parent, node, depth);
      return node;
  }
}

function visitContainer(node: ContainerNode, depth: number, parent: Size, expansion: Expansion): Data {
  if (node.frozen !== undefined) {
    expansion.addSize(parent, node, depth);
    return node.frozen;
  }
  if (node.visiting) {
    throw new AnykvError(
      "DECODE_FAILED",
      `pickle holds a recursive structure (a ${describe(node)} that contains itself)`,
    );
  }
  if (depth + 1 > expansion.limits.maxDepth) throw tooDeep(expansion.limits.maxDepth);
  node.visiting = true;
  // The node keeps its own running size (no object per container).
  const own: Size = node;
  own.count = 1;
  own.payload = 0;
  own.height = 1;
  const child = depth + 1;
  let data: Data;
  // Converted in place: each node is frozen once (shared nodes come from the cache above),
  // so its arrays can become the Data's arrays without a copy.
  switch (node.type) {
    case "@list":
    case "@tuple": {
      const items = node.items;
      for (let i = 0; i < items.length; i += 1) items[i] = visit(items[i] as Node, child, own, expansion);
      data = { type: node.type === "@list" ? "list" : "tuple", items: items as Data[] };
      break;
    }
    case "@set":
      // Set items are hashable, so already Data; they only need counting.
      for (const item of node.items) expansion.add(own, item, child);
      data = { type: "set", items: node.items };
      break;
    case "@dict": {
      const marker = codeMarker(node, own, expansion);
      if (marker !== undefined) {
        data = marker;
        break;
      }
      for (const entry of node.entries) {
        expansion.add(own, entry[0], child);
        entry[1] = visit(entry[1], child, own, expansion);
      }
      data = { type: "dict", entries: node.entries as [Data, Data][] };
      break;
    }
  }
  node.visiting = false;
  node.frozen = data;
  expansion.addSize(parent, own, depth);
  return data;
}

/** `{"__anykv_code__": {"language": str, "source": str}}`, exactly, is a code value. */
function codeMarker(node: DictNode, own: Size, expansion: Expansion): Data | undefined {
  const [entry] = node.entries;
  if (node.entries.length !== 1 || entry === undefined) return undefined;
  const [key, inner] = entry;
  if (
    key.type !== "str" ||
    key.value !== CODE_MARKER_KEY ||
    inner.type !== "@dict" ||
    inner.entries.length !== 2
  ) {
    return undefined;
  }
  const field = (name: string): Node | undefined =>
    inner.entries.find(([k]) => k.type === "str" && k.value === name)?.[1];
  const language = field("language");
  const source = field("source");
  if (language?.type !== "str" || source?.type !== "str") return undefined;
  own.payload += language.value.length + source.value.length;
  expansion.check(own);
  return { type: "code", language: language.value, source: source.value };
}

function describe(node: ContainerNode): string {
  return node.type === "@dict" ? node.label : node.type.slice(1);
}
