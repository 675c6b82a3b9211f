import { describe, expect, it } from "vitest";
import { type Data, data } from "../../src/codec/data.js";
import { deserialize } from "../../src/codec/deserialize.js";
import { serialize } from "../../src/codec/serialize.js";
import type { ModeName, TypedValue, ValueKind } from "../../src/codec/typed-value.js";
import { valueToWire } from "../../src/codec/wire-value.js";
import { isAnykvError } from "../../src/errors.js";

const v = (kind: ValueKind, d: Data): TypedValue => ({ kind, data: d });
const text = new TextEncoder();
const roundTrip = (value: TypedValue, putMode: ModeName, getMode: ModeName = "auto") => {
  const s = serialize(value, putMode, "k");
  return deserialize(s.bytes, { codec: s.codec, kind: value.kind }, getMode, "k");
};

describe("auto mode is type-faithful", () => {
  const cases: [string, TypedValue][] = [
    ["text that looks like a number", v("text", data.str("1"))],
    ["text that looks like JSON", v("text", data.str('{"a":1}'))],
    ["bytes that are valid UTF-8", v("raw", data.bytes(text.encode("hello")))],
    ["json number", v("json", data.int(1))],
    ["json string", v("json", data.str("1"))],
    ["json object", v("json", data.dict([[data.str("data"), data.int(1)]]))],
    ["json null", v("json", data.none)],
    ["exact data", v("data", data.list([data.int(1), data.float(0.5)]))],
  ];
  for (const [name, value] of cases) {
    it(`returns ${name} as it was put`, () => expect(roundTrip(value, "auto")).toEqual(value));
  }
  it("records the codec it chose", () => {
    expect(serialize(v("text", data.str("x")), "auto", "k").codec).toBe("text");
    expect(serialize(v("raw", data.bytes(new Uint8Array())), "auto", "k").codec).toBe("raw");
    expect(serialize(v("json", data.int(1)), "auto", "k").codec).toBe("json");
    expect(serialize(v("data", data.list([])), "auto", "k").codec).toBe("json");
  });
});

describe("the codec table refuses bad combinations with the key, kind and mode", () => {
  const refusals: [TypedValue, ModeName][] = [
    [v("text", data.str("x")), "raw"],
    [v("json", data.int(1)), "raw"],
    [v("raw", data.bytes(new Uint8Array([1]))), "json"],
    [v("code", data.code("javascript", "() => 1")), "json"],
    [v("data", data.tuple([data.int(1)])), "json"],
  ];
  for (const [value, mode] of refusals) {
    it(`${value.kind} in ${mode} mode`, () => {
      let error: unknown;
      try {
        serialize(value, mode, "my/key");
      } catch (err) {
        error = err;
      }
      expect(isAnykvError(error, "INVALID_VALUE")).toBe(true);
      expect((error as Error).message).toContain('"my/key"');
      expect((error as Error).message).toContain(mode);
      expect((error as Error).message).toContain(value.kind);
    });
  }
});

describe("get with an explicit mode", () => {
  it("raw returns the stored bytes whatever was put", () => {
    const got = roundTrip(v("text", data.str("hello")), "auto", "raw");
    expect(got).toEqual(v("raw", data.bytes(text.encode("hello"))));
  });
  it("json parses text that holds JSON", () => {
    expect(roundTrip(v("text", data.str("[1,2]")), "auto", "json")).toEqual(
      v("json", data.list([data.int(1), data.int(2)])),
    );
  });
  it("json on bytes that are not JSON is DECODE_FAILED naming the key and how it was stored", () => {
    expect(() => roundTrip(v("text", data.str("hello")), "auto", "json")).toThrow(
      /key "k" was stored as text with codec text and cannot be read in json mode/,
    );
  });
  it("text put in json mode is a JSON string and reads back as text", () => {
    const s = serialize(v("text", data.str("hi")), "json", "k");
    expect(new TextDecoder().decode(s.bytes)).toBe('"hi"');
    expect(deserialize(s.bytes, { codec: "json", kind: "text" }, "auto", "k")).toEqual(
      v("text", data.str("hi")),
    );
  });
});

describe("auto mode guesses for bytes without metadata (anystore's order)", () => {
  const none = { codec: "", kind: "" };
  it("JSON first", () => {
    expect(deserialize(text.encode('{"a": 1}'), none, "auto", "k")).toEqual(
      v("json", data.dict([[data.str("a"), data.int(1)]])),
    );
  });
  it("then UTF-8 text", () => {
    expect(deserialize(text.encode("plain words"), none, "auto", "k")).toEqual(
      v("text", data.str("plain words")),
    );
  });
  it("then bytes", () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xfe]);
    expect(deserialize(bytes, none, "auto", "k")).toEqual(v("raw", data.bytes(bytes)));
  });
});

describe("JSON that google.protobuf.Value cannot carry", () => {
  // 1e400 is valid JSON that no double holds: JSON.parse (and Python's json) read it as Infinity.
  const huge = text.encode('{"a": [1e400, -1e400]}');
  const expected = v(
    "data",
    data.dict([[data.str("a"), data.list([data.float(Infinity), data.float(-Infinity)])]]),
  );
  it("reads as a data tree in auto mode, which the wire can carry", () => {
    const got = deserialize(huge, { codec: "", kind: "" }, "auto", "k");
    expect(got).toEqual(expected);
    expect(() => valueToWire(got)).not.toThrow();
  });
  it("reads as a data tree in json mode and when stored as text", () => {
    expect(deserialize(huge, { codec: "text", kind: "text" }, "json", "k")).toEqual(expected);
    expect(deserialize(huge, { codec: "json", kind: "json" }, "auto", "k")).toEqual(expected);
  });
});

describe("pickles the server cannot load", () => {
  it("stay readable as bytes in auto mode, and fail in pickle mode naming the global", () => {
    // protocol 4: PROTO 4, SHORT_BINUNICODE "os", SHORT_BINUNICODE "system", STACK_GLOBAL,
    // SHORT_BINUNICODE "id", TUPLE1, REDUCE, STOP: never to be executed.
    const hostile = new Uint8Array([
      0x80,
      4,
      0x8c,
      2,
      ...text.encode("os"),
      0x8c,
      6,
      ...text.encode("system"),
      0x93,
      0x8c,
      2,
      ...text.encode("id"),
      0x85,
      0x52,
      0x2e,
    ]);
    const stored = { codec: "pickle", kind: "data" };
    expect(deserialize(hostile, stored, "auto", "k")).toEqual(v("raw", data.bytes(hostile)));
    expect(() => deserialize(hostile, stored, "pickle", "k")).toThrow(
      /pickle refers to os\.system, which anykv does not load/,
    );
  });
});
