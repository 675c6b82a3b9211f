/**
 * The data tree: anykv's in-memory model of a value that JSON cannot always
 * hold exactly. It mirrors Python's data types one to one (the pickle codec
 * writes and reads it) and maps onto the wire message `anykv.v1.Data`.
 *
 * Codecs convert bytes <-> Data; the wire layer converts Data <-> proto.
 * Nothing here imports the server, the store or a backend.
 */
export type Data =
  | { readonly type: "none" }
  | { readonly type: "bool"; readonly value: boolean }
  /** Python int: any size, so a bigint. */
  | { readonly type: "int"; readonly value: bigint }
  /** Python float: an IEEE double, NaN and the infinities included. */
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "str"; readonly value: string }
  | { readonly type: "bytes"; readonly value: Uint8Array }
  | { readonly type: "bytearray"; readonly value: Uint8Array }
  | { readonly type: "list"; readonly items: readonly Data[] }
  | { readonly type: "tuple"; readonly items: readonly Data[] }
  | { readonly type: "set"; readonly items: readonly Data[] }
  | { readonly type: "frozenset"; readonly items: readonly Data[] }
  /** Python dict: insertion ordered, keys of any hashable type. */
  | { readonly type: "dict"; readonly entries: readonly (readonly [Data, Data])[] }
  | DataDateTime
  | DataDate
  | DataTime
  | DataTimedelta
  /** A function as source text; anykv's own code marker in pickles. */
  | { readonly type: "code"; readonly language: string; readonly source: string };

/** datetime.datetime. `utcOffsetSeconds` undefined means naive. */
export interface DataDateTime {
  readonly type: "datetime";
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly utcOffsetSeconds?: number | undefined;
}

/** datetime.date */
export interface DataDate {
  readonly type: "date";
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** datetime.time. `utcOffsetSeconds` undefined means naive. */
export interface DataTime {
  readonly type: "time";
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly utcOffsetSeconds?: number | undefined;
}

/** datetime.timedelta, normalized as Python does: 0 <= seconds < 86400, 0 <= microseconds < 1e6. */
export interface DataTimedelta {
  readonly type: "timedelta";
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
}

export type DataType = Data["type"];

/** The constructors, so that call sites read like the values they build. */
export const data = {
  none: { type: "none" } as Data,
  bool: (value: boolean): Data => ({ type: "bool", value }),
  int: (value: bigint | number): Data => ({ type: "int", value: BigInt(value) }),
  float: (value: number): Data => ({ type: "float", value }),
  str: (value: string): Data => ({ type: "str", value }),
  bytes: (value: Uint8Array): Data => ({ type: "bytes", value }),
  list: (items: readonly Data[]): Data => ({ type: "list", items }),
  tuple: (items: readonly Data[]): Data => ({ type: "tuple", items }),
  set: (items: readonly Data[]): Data => ({ type: "set", items }),
  frozenset: (items: readonly Data[]): Data => ({ type: "frozenset", items }),
  dict: (entries: readonly (readonly [Data, Data])[]): Data => ({ type: "dict", entries }),
  code: (language: string, source: string): Data => ({ type: "code", language, source }),
} as const;

/** Whether a tree holds a function anywhere, for servers that refuse to store code. */
export function containsCode(value: Data): boolean {
  switch (value.type) {
    case "code":
      return true;
    case "list":
    case "tuple":
    case "set":
    case "frozenset":
      return value.items.some(containsCode);
    case "dict":
      return value.entries.some(([k, v]) => containsCode(k) || containsCode(v));
    default:
      return false;
  }
}
