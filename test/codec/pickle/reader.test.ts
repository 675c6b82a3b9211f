import { describe, expect, it } from "vitest";
import { type Data, data } from "../../../src/codec/data.js";
import { decodePickle, encodePickle, isPickle } from "../../../src/codec/pickle/index.js";
import { exceededWith, pk, sbu, u32, u64 } from "./pickle-bytes.js";

/** The reader's semantics on hand-made pickles: Python 2 forms, stack and memo opcodes, Python's dict rules. */

const dt = (extra: Partial<Data & { type: "datetime" }> = {}): Data => ({
  type: "datetime",
  year: 2020,
  month: 1,
  day: 2,
  hour: 3,
  minute: 4,
  second: 5,
  microsecond: 6,
  utcOffsetSeconds: undefined,
  ...extra,
});

describe("protocol 0 and 1, as Python 2 wrote them", () => {
  it.each([
    ["I01 is True", pk("I01\n."), data.bool(true)],
    ["I00 is False", pk("I00\n."), data.bool(false)],
    ["INT", pk("I-42\n."), data.int(-42)],
    ["INT beyond 32 bits", pk("I12345678901\n."), data.int(12345678901n)],
    ["LONG with L", pk("L-99999999999999999999L\n."), data.int(-99999999999999999999n)],
    ["LONG in hex", pk("L0x1fL\n."), data.int(31)],
    ["FLOAT", pk("F-1.25e-3\n."), data.float(-1.25e-3)],
    ["FLOAT inf", pk("Finf\n."), data.float(Number.POSITIVE_INFINITY)],
    ["FLOAT nan", pk("Fnan\n."), data.float(Number.NaN)],
    ["STRING with escapes", pk("S'a\\n\\t\\\\\\x41\\101\\'z'\n."), data.str("a\n\t\\AA'z")],
    ["STRING non-ASCII reads as Latin-1", pk("S'caf\\xe9'\n."), data.str("café")],
    ["STRING with double quotes", pk('S"it\'s"\n.'), data.str("it's")],
    ["SHORT_BINSTRING", pk("U\x03a\xffb."), data.str("a\u00ffb")],
    ["BINSTRING", pk("T\x02\x00\x00\x00hi."), data.str("hi")],
    ["UNICODE raw-unicode-escape", pk("Va\\u20acb\\U0001f600\\x\n."), data.str("a€b😀\\x")],
    ["UNICODE with an escaped backslash", pk("V\\\\u0041\n."), data.str("\\\\u0041")],
    ["UNICODE Latin-1 bytes", pk("Vcaf\xe9\n."), data.str("café")],
    ["BINUNICODE", pk("X\x03\x00\x00\x00\xe2\x82\xac."), data.str("€")],
    ["BINFLOAT", pk("G\xbf\xf8\x00\x00\x00\x00\x00\x00."), data.float(-1.5)],
    ["empty DICT", pk("(d."), data.dict([])],
    ["LIST", pk("(I1\nI2\nl."), data.list([data.int(1), data.int(2)])],
  ])("%s", (_name, bytes, expected) => {
    expect(decodePickle(bytes)).toEqual(expected);
  });

  it("a Python 2 datetime (state as a STRING)", () => {
    const bytes = pk(
      "cdatetime\ndatetime\np0\n(S'\\x07\\xe4\\x01\\x02\\x03\\x04\\x05\\x00\\x00\\x06'\np1\ntp2\nRp3\n.",
    );
    expect(decodePickle(bytes)).toEqual(dt());
  });

  it("a Python 2 bytearray(u'…', 'latin-1')", () => {
    expect(decodePickle(pk("c__builtin__\nbytearray\n(Vab\xff\nVlatin-1\ntR."))).toEqual({
      type: "bytearray",
      value: Uint8Array.of(0x61, 0x62, 0xff),
    });
  });

  it("a datetime from constructor arguments", () => {
    expect(decodePickle(pk("cdatetime\ndatetime\n(I2020\nI1\nI2\nI3\nI4\nI5\nI6\ntR."))).toEqual(dt());
    expect(decodePickle(pk("cdatetime\ndate\n(I2020\nI1\nI2\ntR."))).toEqual({
      type: "date",
      year: 2020,
      month: 1,
      day: 2,
    });
    expect(decodePickle(pk("cdatetime\ntime\n(tR."))).toEqual({
      type: "time",
      hour: 0,
      minute: 0,
      second: 0,
      microsecond: 0,
      utcOffsetSeconds: undefined,
    });
  });

  it("a PROTO opcode of a protocol 4 pickle drops the fold bit", () => {
    const folded = pk(
      "\x80\x04",
      sbu("datetime"),
      sbu("datetime"),
      "\x93C\n\x07\xe4\x81\x02\x03\x04\x05\x00\x00\x06\x85R.",
    );
    expect(decodePickle(folded)).toEqual(dt());
  });
});

describe("stack and memo opcodes", () => {
  it.each([
    ["POP", pk("K\x01K\x020."), data.int(1)],
    ["POP of a bare MARK", pk("K\x01(0."), data.int(1)],
    ["POP_MARK", pk("K\x01(K\x02K\x031."), data.int(1)],
    ["DUP", pk("\x80\x02K\x072\x86."), data.tuple([data.int(7), data.int(7)])],
    ["PUT/GET", pk("K\x09p12\n0g12\n."), data.int(9)],
    ["BINPUT/BINGET", pk("K\x09q\x030h\x03."), data.int(9)],
    ["LONG_BINPUT/LONG_BINGET", pk("K\x09r\x00\x00\x01\x000j\x00\x00\x01\x00."), data.int(9)],
    ["leftovers below the result are ignored, as in CPython", pk("K\x01K\x02."), data.int(2)],
    ["PROTO midway", pk("N0\x80\x02\x88."), data.bool(true)],
  ])("%s", (_name, bytes, expected) => {
    expect(decodePickle(bytes)).toEqual(expected);
  });

  it("shares a list referenced twice, finished after the references were taken", () => {
    // outer = []; inner = []; outer += [inner, inner]; inner.append(1)
    const decoded = decodePickle(pk("\x80\x04]\x94(]\x94h\x01eh\x01K\x01a0."));
    expect(decoded).toEqual(data.list([data.list([data.int(1)]), data.list([data.int(1)])]));
    if (decoded.type !== "list") throw new Error("not a list");
    expect(decoded.items[0]).toBe(decoded.items[1]);
  });

  it("frames and protocol 5 bytearrays", () => {
    expect(
      decodePickle(pk("\x80\x05\x95\x0c", u64(0n).slice(1), "\x96\x01", u64(0n).slice(1), "x\x94.")),
    ).toEqual({
      type: "bytearray",
      value: Uint8Array.of(0x78),
    });
  });
});

describe("Python's dict and set rules", () => {
  it("a repeated key keeps its first position and spelling and takes the last value", () => {
    // {1: 'a', 2: 'b', True: 'c', 1.0: 'd'} is {1: 'd', 2: 'b'} in Python
    const bytes = pk(
      "\x80\x04}(K\x01",
      sbu("a"),
      "K\x02",
      sbu("b"),
      "\x88",
      sbu("c"),
      "G?\xf0\x00\x00\x00\x00\x00\x00",
      sbu("d"),
      "u.",
    );
    expect(decodePickle(bytes)).toEqual(
      data.dict([
        [data.int(1), data.str("d")],
        [data.int(2), data.str("b")],
      ]),
    );
  });

  it("sets and frozensets drop items Python deems equal", () => {
    expect(decodePickle(pk("\x80\x04\x8f(K\x01\x88G?\xf0\x00\x00\x00\x00\x00\x00K\x00\x89\x90."))).toEqual(
      data.set([data.int(1), data.int(0)]),
    );
    expect(decodePickle(pk("\x80\x04(K\x01K\x01\x91."))).toEqual(data.frozenset([data.int(1)]));
  });

  it("the same NaN object twice is one key; two NaN objects are two", () => {
    const nan = "G\x7f\xf8\x00\x00\x00\x00\x00\x00";
    expect(decodePickle(pk(`\x80\x04\x8f(${nan}\x94h\x00\x90.`))).toEqual(data.set([data.float(Number.NaN)]));
    expect(decodePickle(pk(`\x80\x04\x8f(${nan}${nan}\x90.`))).toEqual(
      data.set([data.float(Number.NaN), data.float(Number.NaN)]),
    );
  });

  it("equal aware datetimes collapse as dict keys", () => {
    const tz = (seconds: number): string =>
      `cdatetime\ntimezone\n(cdatetime\ntimedelta\n(I0\nI${seconds}\nI0\ntRtR`;
    const key = (hour: number, offset: number): string =>
      `cdatetime\ndatetime\n(I2020\nI1\nI2\nI${hour}\nI4\nI5\nI6\n${tz(offset)}tR`;
    // 01:04 at +01:00 and 00:04 at UTC are the same instant, hence the same key.
    const bytes = pk(`(d(${key(1, 3600)}I1\n${key(0, 0)}I2\nu.`);
    expect(decodePickle(bytes)).toEqual(data.dict([[dt({ hour: 1, utcOffsetSeconds: 3600 }), data.int(2)]]));
  });

  it("collections.OrderedDict reads as a dict", () => {
    const bytes = pk("\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00aq\x02K\x01s.");
    expect(decodePickle(bytes)).toEqual(data.dict([[data.str("a"), data.int(1)]]));
  });

  it("empty-call forms of builtins.list, dict and tuple", () => {
    expect(
      decodePickle(pk("](c__builtin__\nlist\n)Rc__builtin__\ndict\n)Rc__builtin__\ntuple\n)Re.")),
    ).toEqual(data.list([data.list([]), data.dict([]), data.tuple([])]));
  });

  it("NEWOBJ of mutable types is empty, of immutable ones is the value", () => {
    expect(decodePickle(pk("\x80\x02c__builtin__\nset\n]K\x01a\x85\x81."))).toEqual(data.set([]));
    expect(decodePickle(pk("\x80\x02c__builtin__\nfrozenset\n]K\x01a\x85\x81."))).toEqual(
      data.frozenset([data.int(1)]),
    );
  });
});

describe("timezones", () => {
  it("datetime.timezone.utc as a STACK_GLOBAL", () => {
    const bytes = pk(
      "\x80\x04",
      sbu("datetime"),
      sbu("datetime"),
      "\x93C\n\x07\xe4\x01\x02\x03\x04\x05\x00\x00\x06",
      sbu("datetime"),
      sbu("timezone.utc"),
      "\x93\x86R.",
    );
    expect(decodePickle(bytes)).toEqual(dt({ utcOffsetSeconds: 0 }));
  });

  it("a named timezone keeps its offset", () => {
    const bytes = pk(
      "\x80\x04",
      sbu("datetime"),
      sbu("time"),
      "\x93C\x06\x01\x02\x03\x00\x00\x04",
      sbu("datetime"),
      sbu("timezone"),
      "\x93",
      sbu("datetime"),
      sbu("timedelta"),
      "\x93J\xff\xff\xff\xffJ\x30\x0b\x01\x00K\x00\x87R",
      sbu("EST"),
      "\x86R\x86R.",
    );
    expect(decodePickle(bytes)).toEqual({
      type: "time",
      hour: 1,
      minute: 2,
      second: 3,
      microsecond: 4,
      utcOffsetSeconds: -18_000,
    });
  });
});

describe("the code marker", () => {
  const marker = (inner: string): Uint8Array => pk("\x80\x04}", sbu("__anykv_code__"), inner, "s.");
  it("reads exactly its shape as code", () => {
    expect(decodePickle(marker(`}(${sbu("source")}${sbu("x")}${sbu("language")}${sbu("python")}u`))).toEqual(
      data.code("python", "x"),
    );
  });

  it.each([
    ["an extra key", `}(${sbu("language")}${sbu("py")}${sbu("source")}${sbu("x")}${sbu("extra")}Nu`],
    ["a non-str source", `}(${sbu("language")}${sbu("py")}${sbu("source")}K\x01u`],
    ["a missing language", `}(${sbu("source")}${sbu("x")}${sbu("lang")}${sbu("py")}u`],
  ])("leaves near misses as dicts: %s", (_name, inner) => {
    expect(decodePickle(marker(inner)).type).toBe("dict");
  });
});

describe("limits", () => {
  it("maxItems and maxBytes", () => {
    const list = encodePickle(data.list(Array.from({ length: 100 }, (_, k) => data.int(k))));
    expect(decodePickle(list, { maxItems: 101 }).type).toBe("list");
    expect(exceededWith(list, { maxItems: 100 })).toMatch(/more than 100 values.*--max-decode-nodes/);
    const str = encodePickle(data.str("x".repeat(1000)));
    expect(exceededWith(str, { maxBytes: 999 })).toMatch(/more than 999 bytes/);
  });

  // Issue #14: a 1 MiB pickle that references one 1 MiB str 250 times became a 262 MB answer.
  it("maxExpansion: one 1 MiB str referenced 250 times", () => {
    const big = "x".repeat(1024 * 1024);
    const bytes = pk("\x80\x04]\x94X", u32(big.length), big, "\x940(", "h\x01".repeat(250), "e.");
    expect(exceededWith(bytes, undefined, 500)).toMatch(
      /^pickle of 1049090 bytes expands to more than \d+ bytes .*over 64 bytes per byte; limit maxExpansion, raised with --max-decode-expansion$/,
    );
    expect(decodePickle(bytes, { maxExpansion: 300 }).type).toBe("list");
    // Below the first MiB any pickle may expand, however small it is.
    const small = pk("\x80\x04]\x94X", u32(1000), "y".repeat(1000), "\x940(", "h\x01".repeat(999), "e.");
    expect(decodePickle(small, { maxExpansion: 1 }).type).toBe("list");
  });

  // Issue #14: a 3.9 MB LONG4 int cost 5–10 s of CPU per read (its conversion to decimal).
  it("maxIntDigits: a 3.9 MB LONG4 int is refused before it is converted", () => {
    const size = 3_900_000;
    const bytes = pk("\x80\x04\x8b", u32(size), "\x01".repeat(size), ".");
    expect(exceededWith(bytes, undefined, 500)).toMatch(
      /^pickle has an int of more than 4300 decimal digits at byte 2; limit maxIntDigits, raised with --max-int-digits$/,
    );
  });

  it("maxIntDigits: exact at the limit, in LONG1 and LONG4", () => {
    const at = (x: bigint) => encodePickle(data.int(x));
    const limit = 4300;
    for (const x of [10n ** 4299n, 10n ** 4300n - 1n, -(10n ** 4300n - 1n)]) {
      expect(decodePickle(at(x), { maxIntDigits: limit })).toEqual(data.int(x));
    }
    for (const x of [10n ** 4300n, -(10n ** 4300n)]) {
      expect(exceededWith(at(x), { maxIntDigits: limit })).toMatch(/more than 4300 decimal digits/);
    }
    expect(exceededWith(at(2n ** 100n), { maxIntDigits: 30 })).toMatch(/more than 30 decimal digits/);
    expect(decodePickle(at(2n ** 100n), { maxIntDigits: 31 })).toEqual(data.int(2n ** 100n));
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects a limit of %s", (value) => {
    expect(() => decodePickle(pk("N."), { maxDepth: value })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("isPickle", () => {
  it.each([
    ["protocol 2", pk("\x80\x02N."), true],
    ["protocol 5", pk("\x80\x05N."), true],
    ["protocol 0 list", pk("(lp0\n."), true],
    ["protocol 0 int", pk("I1\n."), true],
    ["protocol 1 empty dict", pk("}."), true],
    ["what encodePickle writes", encodePickle(data.none), true],
    ["protocol 1 header", pk("\x80\x01N."), false],
    ["protocol 6", pk("\x80\x06N."), false],
    ["JSON", pk('{"a": 1}'), false],
    ["text", pk("hello."), false],
    ["empty", pk(""), false],
    ["a lone STOP", pk("."), false],
  ])("%s", (_name, bytes, expected) => {
    expect(isPickle(bytes)).toBe(expected);
  });
});
