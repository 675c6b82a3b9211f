import { describe, expect, it } from "vitest";
import { data } from "../../../src/codec/data.js";
import { decodePickle, encodePickle } from "../../../src/codec/pickle/index.js";
import { cases } from "./matrix.js";
import { exceededWith, pk, refusedWith, sbu, u32, u64 } from "./pickle-bytes.js";

/** Hostile and broken pickles: each is refused with DECODE_FAILED, a clear message, and quickly. */

describe("globals outside the allow-list", () => {
  const targets = [
    ["os", "system"],
    ["posix", "system"],
    ["subprocess", "Popen"],
    ["builtins", "eval"],
    ["builtins", "exec"],
    ["builtins", "__import__"],
    ["__builtin__", "eval"],
    ["builtins", "getattr"],
    ["copy_reg", "_reconstructor"],
    ["copyreg", "_reconstructor"],
    ["pickle", "loads"],
    ["numpy.core.multiarray", "_reconstruct"],
  ] as const;

  it.each(targets)("GLOBAL %s.%s with REDUCE", (module, name) => {
    const bytes = pk(`c${module}\n${name}\n(S'echo pwned'\ntR.`);
    expect(refusedWith(bytes)).toBe(`pickle refers to ${module}.${name}, which anykv does not load`);
  });

  it.each(targets)("STACK_GLOBAL %s.%s with REDUCE", (module, name) => {
    const bytes = pk("\x80\x04", sbu(module), sbu(name), "\x93", sbu("echo pwned"), "\x85R.");
    expect(refusedWith(bytes)).toBe(`pickle refers to ${module}.${name}, which anykv does not load`);
  });

  it("even when the global is never called", () => {
    expect(refusedWith(pk("cos\nsystem\n0N."))).toBe("pickle refers to os.system, which anykv does not load");
  });

  it("with NEWOBJ", () => {
    expect(refusedWith(pk("\x80\x02csubprocess\nPopen\n)\x81."))).toMatch(
      /^pickle refers to subprocess\.Popen,/,
    );
  });

  it("names several refused globals", () => {
    const bytes = pk("cbuiltins\ngetattr\n(cos\nsystem\nS'x'\ntR.");
    expect(refusedWith(bytes)).toBe(
      "pickle refers to builtins.getattr and os.system, which anykv does not load",
    );
  });

  it("keeps control characters out of the message", () => {
    expect(refusedWith(pk("cos\x1b[2J\nsys\ttem\n."))).toBe(
      "pickle refers to os\\u001b[2J.sys\\ttem, which anykv does not load",
    );
  });

  it("the tzinfo classes of zoneinfo and pytz", () => {
    expect(refusedWith(pk("\x80\x04", sbu("pytz"), sbu("_p"), "\x93)R."))).toMatch(
      /pickle refers to pytz\._p,/,
    );
  });
});

describe("opcodes that restore arbitrary objects", () => {
  it.each([
    ["INST", pk("(ios\nsystem\n.")],
    ["OBJ", pk("(c__builtin__\nset\no.")],
    ["NEWOBJ_EX", pk("\x80\x04c__builtin__\nset\n)}\x92.")],
    ["BUILD", pk("\x80\x02]}b.")],
    ["PERSID", pk("P1\n.")],
    ["BINPERSID", pk("K\x01Q.")],
    ["EXT1", pk("\x80\x02\x82\x01.")],
    ["EXT2", pk("\x80\x02\x83\x01\x00.")],
    ["EXT4", pk("\x80\x02\x84\x01\x00\x00\x00.")],
    ["NEXT_BUFFER", pk("\x80\x05\x97.")],
    ["READONLY_BUFFER", pk("\x80\x05\x96", u64(0n), "\x98.")],
  ])("%s", (name, bytes) => {
    expect(refusedWith(bytes)).toMatch(
      new RegExp(`^pickle uses opcode ${name} at byte \\d+, which anykv does not load$`),
    );
  });

  it.each([0xff, 0x00, 0x99, 0xa0, 0x7f])("unknown opcode 0x%s", (code) => {
    expect(refusedWith(pk("\x80\x04", [code], "."))).toBe(
      `pickle has unknown opcode 0x${code.toString(16).padStart(2, "0")} at byte 2`,
    );
  });
});

describe("truncation", () => {
  const small = cases.filter((c) => encodePickle(c.value).length < 4096);
  const large = cases.filter((c) => !c.name.includes("100k") && encodePickle(c.value).length >= 4096);

  it("at every offset of a pickle holding every Data type", () => {
    const whole = encodePickle(data.list(small.map((c) => c.value)));
    for (let end = 0; end < whole.length; end += 1) {
      expect(refusedWith(whole.subarray(0, end))).toMatch(/^truncated pickle/);
    }
  });

  it("at offsets throughout a pickle with frames and large payloads", () => {
    const whole = encodePickle(data.list(large.map((c) => c.value)));
    for (let end = 0; end < whole.length; end += 997) {
      expect(refusedWith(whole.subarray(0, end))).toMatch(/^truncated pickle/);
    }
  });

  it("at every offset of a protocol 0 pickle", () => {
    const p0 = pk(
      "(lp0\nI1\naF1.5\naS'a\\'b'\np1\naVx\\u20ac\np2\naL12345678901234567890L\nag1\na(dp3\nI5\nI00\nsa(I1\nI2\ntp4\na.",
    );
    expect(decodePickle(p0)).toEqual(
      data.list([
        data.int(1),
        data.float(1.5),
        data.str("a'b"),
        data.str("x\u20ac"),
        data.int(12345678901234567890n),
        data.str("a'b"),
        data.dict([[data.int(5), data.bool(false)]]),
        data.tuple([data.int(1), data.int(2)]),
      ]),
    );
    for (let end = 0; end < p0.length; end += 1) {
      expect(refusedWith(p0.subarray(0, end))).toMatch(/^truncated pickle/);
    }
  });
});

describe("length prefixes", () => {
  it.each([
    ["BINUNICODE 4 GiB", pk("\x80\x04X", u32(0xffff_ffff), "abc.")],
    ["BINUNICODE8 2^64-1", pk("\x80\x04\x8d", u64(2n ** 64n - 1n), "abc.")],
    ["BINUNICODE8 2^53+1", pk("\x80\x04\x8d", u64(2n ** 53n + 1n), "abc.")],
    ["BINBYTES8 2^63", pk("\x80\x04\x8e", u64(2n ** 63n), "abc.")],
    ["BYTEARRAY8 1 TiB", pk("\x80\x05\x96", u64(2n ** 40n), "abc.")],
    ["BINBYTES 2 GiB", pk("\x80\x03B", u32(0x8000_0000), "abc.")],
    ["SHORT_BINBYTES 255 of 3", pk("\x80\x03C\xffabc.")],
    ["LONG4 2^31-1", pk("\x80\x02\x8b", u32(0x7fff_ffff), "abc.")],
    ["FRAME 2^64-1", pk("\x80\x04\x95", u64(2n ** 64n - 1n), "N.")],
    ["FRAME longer than the rest", pk("\x80\x04\x95", u64(100n), "N.")],
  ])("%s", (_name, bytes) => {
    expect(refusedWith(bytes)).toMatch(/^truncated pickle: /);
  });

  it.each([
    ["LONG4 negative", pk("\x80\x02\x8b", u32(0xffff_fffe), "abc."), /negative length/],
    ["BINSTRING negative", pk("T", u32(0xffff_ffff), "abc."), /negative length/],
    ["SHORT_BINUNICODE too short (rest misread as opcodes)", pk("\x80\x04\x8c\x02abc\n."), /./],
    ["BINUNICODE that is not UTF-8", pk("\x80\x04\x8c\x02\xff\xfe."), /not valid UTF-8/],
  ])("%s", (_name, bytes, message) => {
    expect(refusedWith(bytes)).toMatch(message);
  });
});

describe("nesting", () => {
  const n = 100_000;
  it.each([
    ["lists via APPEND", pk("\x80\x04", "]".repeat(n), "a".repeat(n - 1), ".")],
    ["lists via MARK/LIST", pk("(".repeat(n), "l".repeat(n), ".")],
    ["tuples via TUPLE1", pk("\x80\x04)", "\x85".repeat(n), ".")],
    ["tuples via MARK/TUPLE", pk("(".repeat(n), "t".repeat(n), ".")],
    ["frozensets via MARK/FROZENSET", pk("\x80\x04", "(".repeat(n), "\x91".repeat(n), ".")],
    ["dicts via SETITEM", pk("\x80\x04", "}K\x01".repeat(n - 1), "}", "s".repeat(n - 1), ".")],
    ["sets of tuples", pk("\x80\x04\x8f)", "\x85".repeat(n), "(\x90.")],
  ])("%s 100k deep", (_name, bytes) => {
    expect(refusedWith(bytes)).toMatch(
      /^pickle nests containers more than 1000 levels deep; limit maxDepth$/,
    );
  });

  it("honours a smaller maxDepth", () => {
    const ten = pk("\x80\x04", "]".repeat(10), "a".repeat(9), ".");
    expect(refusedWith(ten, { maxDepth: 9 })).toMatch(/more than 9 levels/);
  });
});

describe("the memo", () => {
  it.each([
    ["BINGET", pk("\x80\x04h\x05.")],
    ["LONG_BINGET", pk("\x80\x04j", u32(70_000), ".")],
    ["GET", pk("g5\n.")],
  ])("%s of a missing entry", (_name, bytes) => {
    expect(refusedWith(bytes)).toMatch(
      /^pickle refers to memo entry \d+ at byte \d+, which was never stored$/,
    );
  });

  it("PUT with a malformed index", () => {
    expect(refusedWith(pk("Np-1\n."))).toMatch(/malformed PUT argument/);
  });

  it("PUT/MEMOIZE beyond maxMemo", () => {
    expect(refusedWith(pk("\x80\x04N", "\x94".repeat(20), "."), { maxMemo: 10 })).toMatch(
      /more than 10 memo entries/,
    );
  });

  /** Each level a container of ten references to the level below: 10^20 values once expanded. */
  const bomb = (open: string, item: (previous: string, k: number) => string, close: string): Uint8Array => {
    const parts: string[] = ["\x80\x04N\x94"];
    for (let level = 1; level <= 20; level += 1) {
      const previous = `j${String.fromCharCode(...u32(level - 1))}`;
      parts.push(open, Array.from({ length: 10 }, (_, k) => item(previous, k)).join(""), close, "\x94");
    }
    parts.push(".");
    return pk(parts.join(""));
  };

  it.each([
    ["lists", bomb("](", (p) => p, "e")],
    ["tuples", bomb("(", (p) => p, "t")],
    ["dicts", bomb("}(", (p, k) => `K${String.fromCharCode(k)}${p}`, "u")],
    ["frozensets of tuples", bomb("(", (p, k) => `K${String.fromCharCode(k)}${p}\x86`, "\x91")],
  ])("a billion-laughs bomb of %s", (_name, bytes) => {
    expect(exceededWith(bytes, undefined, 500)).toMatch(/^pickle expands to more than 2000000 values/);
  });

  it("a bomb of one big str referenced 3000 times", () => {
    const big = "x".repeat(100_000);
    const bytes = pk("\x80\x04]\x94X", u32(big.length), big, "\x940(", "h\x01".repeat(3000), "e.");
    expect(exceededWith(bytes, undefined, 500)).toMatch(
      /^pickle of \d+ bytes expands to more than \d+ bytes/,
    );
    expect(exceededWith(bytes, { maxExpansion: 100_000 }, 500)).toMatch(
      /^pickle expands to more than 268435456 bytes/,
    );
  });

  it("a list that contains itself", () => {
    expect(refusedWith(pk("\x80\x04]\x94h\x00a."))).toMatch(
      /recursive structure \(a list that contains itself\)/,
    );
  });

  it("a dict that contains itself through a tuple", () => {
    expect(refusedWith(pk("\x80\x04}\x94K\x01h\x00\x85s."))).toMatch(/recursive structure/);
  });

  it("a set cannot contain itself (sets are unhashable)", () => {
    expect(refusedWith(pk("\x80\x04\x8f\x94(h\x00\x90."))).toMatch(/unhashable set as a set item/);
  });
});

describe("stack discipline", () => {
  it.each([
    ["STOP on an empty stack", pk("."), /stack underflow: STOP/],
    ["APPEND on an empty stack", pk("a."), /stack underflow: APPEND/],
    ["APPEND right after MARK", pk("](K\x01a."), /stack underflow: APPEND/],
    ["TUPLE2 with one item", pk("\x80\x02K\x01\x86."), /stack underflow: TUPLE2/],
    ["TUPLE without MARK", pk("K\x01t."), /TUPLE at byte 2 without a MARK/],
    ["SETITEMS without MARK", pk("}u."), /without a MARK/],
    ["odd SETITEMS", pk("}(K\x01u."), /odd number of items for SETITEMS/],
    ["APPEND to a dict", pk("}K\x01a."), /applies APPEND at byte 3 to a dict/],
    ["SETITEM on a list", pk("]K\x01K\x02s."), /applies SETITEM at byte 5 to a list/],
    ["ADDITEMS on a frozenset", pk("\x80\x04(\x91(K\x01\x90."), /applies ADDITEMS at byte 7 to a frozenset/],
    ["list as dict key", pk("}]K\x01s."), /unhashable list as a dict key/],
    [
      "bytearray as set item",
      pk("\x80\x05\x8f(\x96", u64(0n), "\x90."),
      /unhashable bytearray as a set item/,
    ],
    ["STACK_GLOBAL of ints", pk("\x80\x04K\x01K\x02\x93."), /STACK_GLOBAL .* not both str/],
    ["REDUCE on a str", pk("\x80\x04\x8c\x01a)R."), /REDUCE to a str, which is not callable/],
    [
      "REDUCE with a list of args",
      pk("c__builtin__\nset\n]R."),
      /passes a list instead of a tuple to REDUCE/,
    ],
    ["unsupported protocol", pk("\x80\x06N."), /unsupported pickle protocol 6/],
    ["trailing garbage", pk("\x80\x04N.xyz"), /3 bytes of trailing data after STOP at byte 3/],
    ["a second pickle after STOP", pk("\x80\x04N.\x80\x04N."), /trailing data/],
    ["empty input", pk(""), /^truncated pickle: it ends at byte 0 without a STOP opcode$/],
  ])("%s", (_name, bytes, message) => {
    expect(refusedWith(bytes)).toMatch(message);
  });
});

describe("malformed text arguments", () => {
  it.each([
    ["INT", pk("Ifoo\n.")],
    ["INT with a leading zero", pk("I007\n.")],
    ["LONG", pk("L12x\n.")],
    ["FLOAT", pk("F1.2.3\n.")],
    ["STRING without quotes", pk("Sabc\n.")],
    ["STRING with mismatched quotes", pk("S'abc\"\n.")],
    ["STRING with a bad \\x escape", pk("S'\\xZZ'\n.")],
    ["UNICODE with a short \\u escape", pk("Vab\\u12\n.")],
    ["UNICODE beyond U+10FFFF", pk("V\\U00110000\n.")],
  ])("%s", (name, bytes) => {
    expect(refusedWith(bytes)).toMatch(new RegExp(`malformed ${name.split(" ")[0]} argument at byte 0`));
  });

  it("INT with more digits than Python converts", () => {
    expect(refusedWith(pk(`I${"9".repeat(5000)}\n.`))).toMatch(/more than 4300 digits/);
  });
});

describe("allowed globals with arguments Python would reject", () => {
  const dtState = (month: number): string =>
    `C\n\x07\xe4${String.fromCharCode(month)}\x02\x03\x04\x05\x00\x00\x06`;
  it.each([
    [
      "datetime with day 31 of February",
      pk(
        "\x80\x04",
        sbu("datetime"),
        sbu("datetime"),
        "\x93C\n\x07\xe4\x02\x1f\x03\x04\x05\x00\x00\x06\x85R.",
      ),
      /invalid datetime.datetime: day 31 is outside 1..29/,
    ],
    [
      "datetime with hour 25",
      pk(
        "\x80\x04",
        sbu("datetime"),
        sbu("datetime"),
        "\x93",
        dtState(1).replace("\x03\x04", "\x19\x04"),
        "\x85R.",
      ),
      /hour 25/,
    ],
    [
      "datetime with an int tzinfo",
      pk("\x80\x04", sbu("datetime"), sbu("datetime"), "\x93", dtState(1), "K\x01\x86R."),
      /tzinfo of type int/,
    ],
    [
      "datetime with a str",
      pk("\x80\x04", sbu("datetime"), sbu("datetime"), "\x93", sbu("2020-01-01"), "\x85R."),
      /calls datetime.datetime\(str\)/,
    ],
    [
      "timezone with microseconds",
      pk(
        "\x80\x04",
        sbu("datetime"),
        sbu("timezone"),
        "\x93",
        sbu("datetime"),
        sbu("timedelta"),
        "\x93K\x00K\x00K\x01\x87R\x85R.",
      ),
      /microseconds/,
    ],
    [
      "timezone of 24 h",
      pk(
        "\x80\x04",
        sbu("datetime"),
        sbu("timezone"),
        "\x93",
        sbu("datetime"),
        sbu("timedelta"),
        "\x93K\x01K\x00K\x00\x87R\x85R.",
      ),
      /strictly inside ±24 h/,
    ],
    [
      "timedelta overflow",
      pk("\x80\x04", sbu("datetime"), sbu("timedelta"), "\x93J\xff\xc9\x9a\x3bJ\x80\x51\x01\x00K\x00\x87R."),
      /more than 999999999 days/,
    ],
    ["set of an int", pk("c__builtin__\nset\n(I1\ntR."), /calls builtins.set\(int\)/],
    [
      "_codecs.encode with rot13",
      pk("c_codecs\nencode\n(Vabc\nVrot13\ntR."),
      /calls _codecs.encode\(str, str\)/,
    ],
    [
      "_codecs.encode of a non-latin1 str",
      pk("c_codecs\nencode\n(V\\u20ac\nVlatin1\ntR."),
      /latin1 cannot encode/,
    ],
    ["a bare allowed global", pk("c__builtin__\nset\n."), /holds builtins.set itself/],
    [
      "a bare timezone",
      pk("\x80\x04", sbu("datetime"), sbu("timezone.utc"), "\x93."),
      /datetime.timezone on its own/,
    ],
    [
      "NEWOBJ of a function",
      pk("\x80\x02c_codecs\nencode\n)\x81."),
      /NEWOBJ to _codecs.encode, which is not a class/,
    ],
  ])("%s", (_name, bytes, message) => {
    expect(refusedWith(bytes)).toMatch(message);
  });
});
