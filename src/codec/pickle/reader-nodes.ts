import type { Data } from "../data.js";
import type { Size } from "./expansion.js";

/**
 * What sits on the unpickler's stack and in its memo. Immutable values are
 * plain `Data` from the start. Lists, dicts and sets stay mutable nodes until
 * STOP because pickles fill them after creating (and memoizing) them; a
 * tuple that holds such a node waits with them. Globals and timezones exist
 * only as arguments to REDUCE and are not data on their own.
 *
 * The `type` strings start with "@" so that they never collide with Data's.
 */

abstract class MutableNode implements Size {
  /** Set while STOP converts this node, to spot a node that contains itself. */
  visiting = false;
  /** What the node became at STOP; its expanded size is then in the Size fields. */
  frozen: Data | undefined = undefined;
  count = 0;
  payload = 0;
  height = 0;
}

export class ListNode extends MutableNode {
  readonly type = "@list";
  constructor(readonly items: Node[] = []) {
    super();
  }
}

/**
 * A dict keeps Python's rule: a repeated key replaces the value and keeps its
 * first position. Small dicts (most records) find keys by scanning; from
 * INDEXED_DICT_SIZE entries on, by index. Entries are converted in place at STOP.
 */
export class DictNode extends MutableNode {
  readonly type = "@dict";
  /** Set by collections.OrderedDict, only to name it in messages. */
  constructor(readonly label = "dict") {
    super();
  }
  readonly entries: [Data, Node][] = [];
  /** Position by str key, and by PythonKeys id for other keys; built once the dict grows. */
  strIndex: Map<string, number> | undefined = undefined;
  idIndex: Map<number, number> | undefined = undefined;
}

/** Below this many entries a scan beats building maps (records rarely have more fields). */
export const INDEXED_DICT_SIZE = 16;

export class SetNode extends MutableNode {
  readonly type = "@set";
  readonly items: Data[] = [];
  readonly seen = new Set<number>();
}

/** A tuple holding at least one mutable node: unhashable, frozen with its members. */
export class TupleNode extends MutableNode {
  readonly type = "@tuple";
  constructor(readonly items: Node[]) {
    super();
  }
}

/** A module attribute, waiting to be called by REDUCE or NEWOBJ; inert unless `allowed`. */
export class GlobalNode {
  readonly type = "@global";
  constructor(
    readonly qualifiedName: string,
    readonly allowed: boolean,
  ) {}
}

/** A datetime.timezone instance: only meaningful as a datetime's or time's tzinfo. */
export class TimezoneNode {
  readonly type = "@timezone";
  constructor(readonly offsetSeconds: number) {}
}

export type Node = Data | ListNode | DictNode | SetNode | TupleNode | GlobalNode | TimezoneNode;
export type ContainerNode = ListNode | DictNode | SetNode | TupleNode;

/** Python's hashability: immutable scalars, and tuples/frozensets of hashables (which are eager Data). */
export function isHashable(node: Node): node is Data {
  switch (node.type) {
    case "bytearray":
    case "list":
    case "dict":
    case "set":
    case "code":
    case "@list":
    case "@dict":
    case "@set":
    case "@tuple":
    case "@global":
    case "@timezone":
      return false;
    default:
      return true;
  }
}

/** Python's type name of a node, for messages. */
export function typeName(node: Node): string {
  switch (node.type) {
    case "none":
      return "NoneType";
    case "@list":
      return "list";
    case "@dict":
      return node.label;
    case "@set":
      return "set";
    case "@tuple":
      return "tuple";
    case "@global":
      return node.qualifiedName;
    case "@timezone":
      return "datetime.timezone";
    case "datetime":
    case "date":
    case "time":
    case "timedelta":
      return `datetime.${node.type}`;
    default:
      return node.type;
  }
}
