import { type Data, data } from "../../../src/codec/data.js";

/**
 * The values the pickle suites run over, and two views of Data that the
 * suites compare: `spec` (tagged JSON that test/codec/pickle/oracle.py turns
 * into the Python value) and `canonical` (Data with set items in a fixed order,
 * since a set's order is Python's hash order once Python has touched it).
 */

export interface Case {
  readonly name: string;
  readonly value: Data;
  /**
   * Whether pickle.dumps(v, 4) is byte-identical to encodePickle. False where
   * CPython's output depends on object identity: it memoizes by id(), and
   * 1-character str, 1-byte and empty bytes objects are shared singletons.
   */
  readonly exact?: boolean;
}

const dt = (
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  microsecond = 0,
  utcOffsetSeconds?: number,
): Data => ({ type: "datetime", year, month, day, hour, minute, second, microsecond, utcOffsetSeconds });
const time = (
  hour: number,
  minute: number,
  second: number,
  microsecond: number,
  utcOffsetSeconds?: number,
): Data => ({
  type: "time",
  hour,
  minute,
  second,
  microsecond,
  utcOffsetSeconds,
});
const td = (days: number, seconds: number, microseconds: number): Data => ({
  type: "timedelta",
  days,
  seconds,
  microseconds,
});
const bytes = (n: number, seed = 7): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed + 3) & 0xff);
const s = data.str;
const i = data.int;
const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

export const cases: readonly Case[] = [
  { name: "None", value: data.none },
  { name: "True", value: data.bool(true) },
  { name: "False", value: data.bool(false) },
  ...[0, 1, 255, 256, 65_535, 65_536, -1, -129, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1].map(
    (n) => ({
      name: `int ${n}`,
      value: i(n),
    }),
  ),
  ...(
    [
      ["2^63", 2n ** 63n],
      ["2^64", 2n ** 64n],
      ["-2^64", -(2n ** 64n)],
      ["2^64-1", 2n ** 64n - 1n],
      ["-2^63 (sign byte dropped)", -(2n ** 63n)],
      ["2^200", 2n ** 200n],
      ["-2^200", -(2n ** 200n)],
      ["3^2000 (LONG4)", 3n ** 2000n],
      ["-3^2000", -(3n ** 2000n)],
    ] as const
  ).map(([name, n]) => ({ name: `int ${name}`, value: i(n) })),
  ...[
    0,
    -0,
    1.5,
    0.1,
    1e300,
    5e-324,
    -2.5e-10,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ].map((f) => ({ name: `float ${Object.is(f, -0) ? "-0" : f}`, value: data.float(f) })),
  { name: "empty str", value: s(""), exact: false },
  { name: "str", value: s("hello") },
  { name: "latin-1 str", value: s("héllo wörld") },
  { name: "CJK str", value: s("日本語のテキスト") },
  { name: "astral str", value: s("emoji \u{1F600}\u{1F9D1}\u200D\u{1F4BB} and 𝄞") },
  { name: "control chars", value: s("nul\0 nl\n cr\r bs\\ quote' \u001a") },
  { name: "BOM", value: s("\ufeffstarts with a BOM") },
  { name: "lone surrogates", value: s("high \ud800 low \udc00 end \ud83d") },
  { name: "str 300 chars", value: s("x".repeat(300)) },
  { name: "str 100k chars (outside frames)", value: s("ab\u00e9".repeat(35_000)) },
  { name: "bytes 0", value: data.bytes(new Uint8Array(0)), exact: false },
  { name: "bytes 255", value: data.bytes(bytes(255)) },
  { name: "bytes 256", value: data.bytes(bytes(256)) },
  { name: "bytes 65536 (outside frames)", value: data.bytes(bytes(65_536)) },
  { name: "bytes 100000", value: data.bytes(bytes(100_000, 13)) },
  { name: "bytearray empty", value: { type: "bytearray", value: new Uint8Array(0) } },
  { name: "bytearray", value: { type: "bytearray", value: bytes(300) } },
  { name: "empty list", value: data.list([]) },
  { name: "list", value: data.list([i(1), s("two"), data.none, data.float(3.5)]) },
  { name: "list of 2500 ints (batches)", value: data.list(range(2500).map(i)) },
  { name: "list of one", value: data.list([i(5)]) },
  { name: "list of 1000", value: data.list(range(1000).map(i)) },
  { name: "dict of 1000 (empty last batch)", value: data.dict(range(1000).map((n) => [i(n), data.none])) },
  { name: "set of 1000 ints (empty last batch)", value: data.set(range(1000).map(i)) },
  { name: "list of 1000", value: data.list(range(1000).map(i)) },
  { name: "dict of 1000 (empty last batch)", value: data.dict(range(1000).map((n) => [i(n), data.none])) },
  { name: "set of 1000 ints (empty last batch)", value: data.set(range(1000).map(i)) },
  { name: "list of 1001 (batch of one)", value: data.list(range(1001).map(i)) },
  { name: "empty tuple", value: data.tuple([]) },
  ...[1, 2, 3, 4, 10].map((n) => ({ name: `tuple of ${n}`, value: data.tuple(range(n).map(i)) })),
  {
    name: "nested tuples",
    value: data.tuple([data.tuple([i(1), data.tuple([])]), data.list([data.tuple([i(2)])])]),
  },
  { name: "empty set", value: data.set([]) },
  { name: "set", value: data.set([i(1), i(2), i(3)]) },
  // Python writes set items in hash order, which for str changes with PYTHONHASHSEED.
  { name: "set of 2500", value: data.set(range(2500).map((n) => s(`item-${n}`))), exact: false },
  {
    name: "set of tuples and frozensets",
    value: data.set([data.tuple([i(1), s("a")]), data.frozenset([i(2), i(3)]), data.none]),
    exact: false,
  },
  { name: "empty frozenset", value: data.frozenset([]) },
  { name: "frozenset", value: data.frozenset([i(1), s("one"), data.float(1.5)]), exact: false },
  { name: "empty dict", value: data.dict([]) },
  {
    name: "dict",
    value: data.dict([
      [s("name"), s("anykv")],
      [s("count"), i(3)],
      [s("nested"), data.dict([])],
    ]),
  },
  {
    name: "dict with tuple, int and frozenset keys",
    value: data.dict([
      [data.tuple([i(1), i(2)]), s("tuple")],
      [i(42), s("int")],
      [data.frozenset([s("x"), s("y")]), s("frozenset")],
      [data.none, s("none")],
      [data.float(2.5), s("float")],
      [data.bytes(bytes(4)), s("bytes")],
      [dt(2020, 1, 1), s("datetime")],
    ]),
    exact: false,
  },
  { name: "dict of 2500 (batches)", value: data.dict(range(2500).map((n) => [i(n * 7), s(`v${n}`)])) },
  { name: "dict of one", value: data.dict([[s("only"), data.bool(true)]]) },
  {
    name: "nested containers",
    value: data.dict([
      [
        s("list"),
        data.list([data.dict([[s("deep"), data.list([data.set([i(1)]), data.tuple([data.none])])]])]),
      ],
      [s("bytes"), data.list([data.bytes(bytes(3)), { type: "bytearray", value: bytes(2) }])],
    ]),
  },
  { name: "naive datetime", value: dt(2024, 2, 29, 23, 59, 58, 123_456) },
  { name: "UTC datetime", value: dt(2024, 2, 29, 12, 0, 0, 1, 0) },
  { name: "+05:30 datetime", value: dt(2001, 9, 9, 1, 46, 40, 999_999, 19_800) },
  { name: "-08:00 datetime", value: dt(1999, 12, 31, 16, 0, 0, 0, -28_800) },
  { name: "odd-second offset datetime", value: dt(2000, 1, 1, 0, 0, 0, 0, 86_399) },
  { name: "datetime.min", value: dt(1, 1, 1) },
  { name: "datetime.max", value: dt(9999, 12, 31, 23, 59, 59, 999_999) },
  { name: "date", value: { type: "date", year: 2024, month: 7, day: 4 } },
  { name: "naive time", value: time(13, 14, 15, 161_718) },
  { name: "aware time", value: time(1, 2, 3, 4, -3600) },
  { name: "UTC time", value: time(0, 0, 0, 0, 0) },
  { name: "timedelta 0", value: td(0, 0, 0) },
  { name: "timedelta negative days", value: td(-1, 86_399, 999_999) },
  { name: "timedelta", value: td(5, 3600, 7) },
  { name: "timedelta.max", value: td(999_999_999, 86_399, 999_999) },
  { name: "timedelta.min", value: td(-999_999_999, 0, 0) },
  {
    name: "list of UTC datetimes (one shared timezone.utc)",
    value: data.list([dt(2020, 1, 1, 0, 0, 0, 0, 0), dt(2021, 1, 1, 0, 0, 0, 0, 0), time(5, 0, 0, 0, 0)]),
  },
  {
    name: "list of +01:00 datetimes",
    value: data.list([dt(2020, 1, 1, 0, 0, 0, 0, 3600), dt(2021, 1, 1, 0, 0, 0, 0, 3600)]),
  },
  { name: "code", value: data.code("python", "lambda x: x + 1") },
  { name: "code in a list", value: data.list([data.code("javascript", "(x) => x * 2"), i(1)]) },
  { name: "500-deep list", value: range(500).reduce<Data>((inner) => data.list([inner]), data.none) },
  {
    name: "100k distinct strings (many frames)",
    value: data.list(range(100_000).map((n) => s(`string number ${n}`))),
  },
  {
    name: "mixed large bytes and frames",
    value: data.list([s("before"), data.bytes(bytes(70_000)), s("after"), data.list(range(30_000).map(i))]),
  },
];

/** Data → tagged JSON for oracle.py. */
export type Spec = { readonly t: string; readonly [key: string]: unknown };

export function spec(d: Data): Spec {
  switch (d.type) {
    case "none":
      return { t: "none" };
    case "bool":
      return { t: "bool", v: d.value };
    case "int":
      return { t: "int", v: d.value.toString() };
    case "float":
      return { t: "float", v: floatText(d.value) };
    case "str":
      return { t: "str", v: d.value };
    case "bytes":
    case "bytearray":
      return { t: d.type, v: Buffer.from(d.value).toString("base64") };
    case "list":
    case "tuple":
    case "set":
    case "frozenset":
      return { t: d.type, v: d.items.map(spec) };
    case "dict":
      return { t: "dict", v: d.entries.map(([k, v]) => [spec(k), spec(v)]) };
    case "datetime":
      return {
        t: "datetime",
        v: [d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond],
        tz: d.utcOffsetSeconds ?? null,
      };
    case "date":
      return { t: "date", v: [d.year, d.month, d.day] };
    case "time":
      return { t: "time", v: [d.hour, d.minute, d.second, d.microsecond], tz: d.utcOffsetSeconds ?? null };
    case "timedelta":
      return { t: "timedelta", v: [d.days, d.seconds, d.microseconds] };
    case "code":
      return { t: "code", language: d.language, source: d.source };
  }
}

function floatText(f: number): string {
  if (Number.isNaN(f)) return "nan";
  if (f === Number.POSITIVE_INFINITY) return "inf";
  if (f === Number.NEGATIVE_INFINITY) return "-inf";
  return Object.is(f, -0) ? "-0.0" : String(f);
}

/** Data with set and frozenset items sorted, so that equal Python sets compare equal. */
export function canonical(d: Data): Data {
  switch (d.type) {
    case "list":
    case "tuple":
      return { type: d.type, items: d.items.map(canonical) };
    case "set":
    case "frozenset": {
      const items = d.items.map(canonical);
      const keyed = items
        .map((item) => [sortKey(item), item] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return { type: d.type, items: keyed.map(([, item]) => item) };
    }
    case "dict":
      return { type: "dict", entries: d.entries.map(([k, v]) => [canonical(k), canonical(v)] as const) };
    default:
      return d;
  }
}

function sortKey(d: Data): string {
  return JSON.stringify(spec(d));
}
