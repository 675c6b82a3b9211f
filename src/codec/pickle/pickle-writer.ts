import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import { DatetimeWriter } from "./datetime-writer.js";
import { CODE_MARKER_KEY } from "./freeze.js";
import { Op, WRITE_PROTOCOL } from "./opcodes.js";
import { defaultPickleLimits, type PickleLimits, resolvePickleLimits } from "./pickle-limits.js";
import { PicklerCore } from "./pickler-core.js";
import { PythonKeys } from "./python-keys.js";
import { addNew, codeMarkerEntries, describe, invalid, looksLikeCodeMarker } from "./writer-checks.js";

// The opcodes as local constants: the hot switch compares against these, and a
// local constant is cheaper to read than a property (and than a bundler's import getter).
const {
  ADDITEMS,
  APPEND,
  APPENDS,
  BINFLOAT,
  EMPTY_DICT,
  EMPTY_LIST,
  EMPTY_SET,
  EMPTY_TUPLE,
  FROZENSET,
  MARK,
  NEWFALSE,
  NEWTRUE,
  NONE,
  PROTO,
  SETITEM,
  SETITEMS,
  STOP,
  TUPLE,
  TUPLE1,
} = Op;

/**
 * Writes `value` as a protocol 4 pickle that CPython's `pickle.loads` turns
 * into the equal Python value. The opcodes, memo entries and frames are the
 * ones CPython's own pickler emits for that value, so the bytes match
 * `pickle.dumps(v, 4)` wherever Python's output does not depend on object
 * identity (Python memoizes by identity; this writer shares nothing but the
 * module globals and timezone.utc, which are singletons in Python too).
 *
 * Values Python cannot hold are refused with INVALID_VALUE rather than
 * silently changed: unhashable dict keys and set items, keys or items that
 * Python would merge (1, 1.0 and True; equal instants), out-of-range dates,
 * and a plain dict shaped like anykv's code marker. Nesting deeper than
 * maxDepth is LIMIT_EXCEEDED.
 */
export function encodePickle(value: Data, limits?: Partial<Pick<PickleLimits, "maxDepth">>): Uint8Array {
  const { maxDepth } = limits === undefined ? defaultPickleLimits : resolvePickleLimits(limits);
  return new Pickler(maxDepth).dump(value);
}

/** CPython's _BATCHSIZE: APPENDS, SETITEMS and ADDITEMS carry at most this many items each. */
const BATCH_SIZE = 1000;
/** From this many entries, repeated dict keys are found with sets rather than by scanning. */
const LARGE_DICT = 16;

class Pickler extends PicklerCore {
  private readonly keys = new PythonKeys();
  private readonly datetimes = new DatetimeWriter(this);

  constructor(private readonly maxDepth: number) {
    super();
  }

  dump(value: Data): Uint8Array {
    this.out.opU8(PROTO, WRITE_PROTOCOL);
    this.out.framing = true;
    this.save(value, 0);
    this.out.op(STOP);
    return this.out.finish();
  }

  private save(d: Data, depth: number): void {
    if (depth > this.maxDepth) {
      throw new AnykvError(
        "LIMIT_EXCEEDED",
        `value nests more than ${this.maxDepth} levels deep; limit maxDepth`,
      );
    }
    const out = this.out;
    const inner = depth + 1;
    switch (d.type) {
      case "none":
        out.op(NONE);
        break;
      case "bool":
        out.op(d.value ? NEWTRUE : NEWFALSE);
        break;
      case "int":
        // Data comes from the wire layer too: check what the types cannot promise at run time.
        if (typeof (d.value as unknown) !== "bigint") throw invalid("an int must hold a bigint");
        this.saveInt(d.value);
        break;
      case "float":
        if (typeof (d.value as unknown) !== "number") throw invalid("a float must hold a number");
        out.opF64(BINFLOAT, d.value);
        break;
      case "str":
        out.str(d.value);
        this.memoize();
        break;
      case "bytes":
        this.saveBytes(d.value);
        break;
      case "bytearray": {
        // Protocol 4 has no bytearray opcode: CPython writes bytearray(bytes) (or bytearray()).
        const value = d.value;
        this.reduce("builtins", "bytearray", value.length === 0 ? 0 : 1, () => {
          if (value.length > 0) this.saveBytes(value);
        });
        break;
      }
      case "tuple":
        this.saveTuple(d.items, inner);
        return; // saveTuple ends with its own boundary
      case "list":
        out.op(EMPTY_LIST);
        this.memoize();
        this.batched(d.items, APPENDS, APPEND, (item) => this.save(item, inner));
        break;
      case "set": {
        out.op(EMPTY_SET);
        this.memoize();
        const seen = new Set<number>();
        this.batched(d.items, ADDITEMS, undefined, (item) => this.saveMember(item, seen, "set", inner));
        break;
      }
      case "frozenset": {
        // Python writes a frozenset in one piece (it cannot be filled after creation).
        out.op(MARK);
        const seen = new Set<number>();
        for (const item of d.items) this.saveMember(item, seen, "frozenset", inner);
        out.op(FROZENSET);
        this.memoize();
        break;
      }
      case "dict":
        this.saveDict(d.entries, inner);
        break;
      case "datetime":
        this.datetimes.saveDateTime(d);
        break;
      case "date":
        this.datetimes.saveDate(d);
        break;
      case "time":
        this.datetimes.saveTime(d);
        break;
      case "timedelta":
        this.datetimes.saveTimedelta(d);
        break;
      case "code":
        this.saveDict(codeMarkerEntries(d.language, d.source), inner, true);
        break;
      default:
        throw invalid(`unknown Data type ${JSON.stringify((d as { type: unknown }).type)}`);
    }
    out.boundary();
  }

  private saveTuple(items: readonly Data[], inner: number): void {
    const out = this.out;
    if (items.length === 0) {
      out.op(EMPTY_TUPLE);
    } else if (items.length <= 3) {
      for (const item of items) this.save(item, inner);
      out.op(TUPLE1 + items.length - 1);
      this.memoize();
    } else {
      out.op(MARK);
      for (const item of items) this.save(item, inner);
      out.op(TUPLE);
      this.memoize();
    }
    out.boundary();
  }

  /**
   * CPython's batch_list_exact/batch_dict_exact/save_set: a one-item list or
   * dict uses APPEND/SETITEM; otherwise MARK … APPENDS/SETITEMS/ADDITEMS in
   * groups of 1000. Dicts and sets loop "while the last group was full", so
   * a size that is a multiple of 1000 ends with an empty group, and so do we.
   */
  private batched<T>(
    items: readonly T[],
    many: number,
    one: number | undefined,
    saveItem: (item: T, index: number) => void,
  ): void {
    const n = items.length;
    if (n === 0) return;
    if (n === 1 && one !== undefined) {
      saveItem(items[0] as T, 0);
      this.out.op(one);
      return;
    }
    const emptyTail = many !== APPENDS;
    let start = 0;
    for (;;) {
      const end = Math.min(start + BATCH_SIZE, n);
      this.out.op(MARK);
      for (let i = start; i < end; i += 1) saveItem(items[i] as T, i);
      this.out.op(many);
      const full = end - start === BATCH_SIZE;
      start = end;
      if (emptyTail ? !full : start >= n) return;
    }
  }

  private saveDict(entries: readonly (readonly [Data, Data])[], inner: number, isCodeMarker = false): void {
    if (!isCodeMarker && looksLikeCodeMarker(entries)) {
      throw invalid(
        `a dict shaped like {"${CODE_MARKER_KEY}": {language, source}} is reserved for code values`,
      );
    }
    this.out.op(EMPTY_DICT);
    this.memoize();
    // Repeated keys: a scan for small dicts (no allocation), sets from LARGE_DICT entries on.
    const large = entries.length >= LARGE_DICT;
    const strKeys = large ? new Set<string>() : undefined;
    const otherKeys = large ? new Set<number>() : undefined;
    const saveEntry = (entry: readonly [Data, Data], index: number): void => {
      const [key, value] = entry;
      this.save(key, inner);
      const id = key.type === "str" ? undefined : this.idOf(key, "dict key");
      const repeated =
        strKeys === undefined || otherKeys === undefined
          ? this.earlierKey(entries, index, key, id)
          : key.type === "str"
            ? !addNew(strKeys, key.value)
            : !addNew(otherKeys, id as number);
      if (repeated) throw invalid(`dict has two keys that Python treats as equal (${describe(key)})`);
      this.save(value, inner);
    };
    this.batched(entries, SETITEMS, SETITEM, saveEntry);
  }

  /** Whether entries before `index` hold a key equal to `key` (whose id, if not a str, is `id`). */
  private earlierKey(
    entries: readonly (readonly [Data, Data])[],
    index: number,
    key: Data,
    id: number | undefined,
  ): boolean {
    for (let i = 0; i < index; i += 1) {
      const other = (entries[i] as readonly [Data, Data])[0];
      if (key.type === "str") {
        if (other.type === "str" && other.value === key.value) return true;
      } else if (other.type !== "str" && this.idOf(other, "dict key") === id) {
        return true;
      }
    }
    return false;
  }

  /** Saves a set or frozenset item, refusing unhashable and repeated ones. */
  private saveMember(item: Data, seen: Set<number>, kind: string, inner: number): void {
    this.save(item, inner);
    if (!addNew(seen, this.idOf(item, `${kind} item`))) {
      throw invalid(`${kind} has two items that Python treats as equal (${describe(item)})`);
    }
  }

  private idOf(d: Data, role: string): number {
    const id = this.keys.idOf(d);
    if (id === undefined) {
      throw invalid(
        `a ${role} must be hashable in Python, and ${describe(d)} is not (no list, dict, set, bytearray or code, even inside a tuple or frozenset)`,
      );
    }
    return id;
  }
}
