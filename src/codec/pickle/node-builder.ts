import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import type { Expansion } from "./expansion.js";
import { PythonKeys } from "./python-keys.js";
import {
  type DictNode,
  INDEXED_DICT_SIZE,
  isHashable,
  type Node,
  type SetNode,
  TupleNode,
  typeName,
} from "./reader-nodes.js";

/**
 * Builds the unpickler's values with Python's rules: tuples and frozensets of
 * hashable values become Data at once (their size recorded against the
 * limits); dict keys and set items must be hashable, and repeated ones
 * collapse as in Python.
 */
export class NodeBuilder {
  private readonly keys = new PythonKeys();

  constructor(readonly expansion: Expansion) {}

  tuple(items: Node[]): Node {
    for (const item of items) if (!isHashable(item)) return new TupleNode(items);
    const tuple: Data = { type: "tuple", items: items as Data[] };
    this.expansion.record(tuple, tuple.items);
    return tuple;
  }

  frozenset(items: readonly Node[]): Data {
    const unique: Data[] = [];
    const seen = new Set<number>();
    for (const item of items) {
      const id = this.idOf(item, "frozenset", "item");
      if (!seen.has(id)) {
        seen.add(id);
        unique.push(item as Data);
      }
    }
    const frozenset: Data = { type: "frozenset", items: unique };
    this.expansion.record(frozenset, unique);
    return frozenset;
  }

  setAdd(set: SetNode, item: Node): void {
    const id = this.idOf(item, "set", "item");
    if (!set.seen.has(id)) {
      set.seen.add(id);
      set.items.push(item as Data);
    }
  }

  /** `dict[key] = value`: a new key goes last; a key Python deems equal keeps its place and first spelling. */
  dictSet(dict: DictNode, key: Node, value: Node): void {
    const index = this.find(dict, key);
    if (index !== undefined) {
      (dict.entries[index] as [Data, Node])[1] = value;
      return;
    }
    // find() has checked that the key is hashable, hence Data.
    dict.entries.push([key as Data, value]);
    if (dict.strIndex !== undefined) this.index(dict, key as Data, dict.entries.length - 1);
    else if (dict.entries.length >= INDEXED_DICT_SIZE) {
      dict.strIndex = new Map();
      for (let i = 0; i < dict.entries.length; i += 1)
        this.index(dict, (dict.entries[i] as [Data, Node])[0], i);
    }
  }

  private find(dict: DictNode, key: Node): number | undefined {
    if (dict.strIndex !== undefined) {
      if (key.type === "str") return dict.strIndex.get(key.value);
      const id = this.idOf(key, dict.label, "key");
      return dict.idIndex?.get(id);
    }
    // str keys equal only str keys, so their text is their identity; other keys compare by PythonKeys id.
    const entries = dict.entries;
    if (key.type === "str") {
      for (let i = 0; i < entries.length; i += 1) {
        const k = (entries[i] as [Data, Node])[0];
        if (k.type === "str" && k.value === key.value) return i;
      }
      return undefined;
    }
    const id = this.idOf(key, dict.label, "key");
    for (let i = 0; i < entries.length; i += 1) {
      const k = (entries[i] as [Data, Node])[0];
      if (k.type !== "str" && this.idOf(k, dict.label, "key") === id) return i;
    }
    return undefined;
  }

  private index(dict: DictNode, key: Data, position: number): void {
    if (key.type === "str") dict.strIndex?.set(key.value, position);
    else {
      dict.idIndex ??= new Map();
      dict.idIndex.set(this.idOf(key, dict.label, "key"), position);
    }
  }

  /** The PythonKeys id of a dict key or set item (`owner`/`role` only name it in errors). */
  private idOf(node: Node, owner: string, role: "key" | "item"): number {
    if (node.type === "@global" || node.type === "@timezone") {
      throw new AnykvError(
        "DECODE_FAILED",
        `pickle uses ${typeName(node)} itself as a ${owner} ${role}, which is not data`,
      );
    }
    const id = isHashable(node) ? this.keys.idOf(node) : undefined;
    if (id === undefined) {
      throw new AnykvError(
        "DECODE_FAILED",
        `pickle uses an unhashable ${typeName(node)} as a ${owner} ${role}`,
      );
    }
    return id;
  }
}
