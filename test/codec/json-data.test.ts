import { describe, expect, it } from "vitest";
import { data } from "../../src/codec/data.js";
import { deserialize } from "../../src/codec/deserialize.js";
import { dataToJson } from "../../src/codec/json-data.js";
import { modelJson } from "../../src/codec/models/model-json.js";
import { serialize } from "../../src/codec/serialize.js";

const withProto = data.dict([
  [data.str("__proto__"), data.dict([[data.str("x"), data.int(1)]])],
  [data.str("a"), data.int(2)],
]);

describe("object keys that are special in JavaScript", () => {
  it("dataToJson keeps __proto__ as a key, not as the prototype", () => {
    const json = dataToJson(withProto) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(json)).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it("the JSON codec stores and reads a __proto__ key", () => {
    const s = serialize({ kind: "json", data: withProto }, "auto", "k");
    expect(new TextDecoder().decode(s.bytes)).toBe('{"__proto__":{"x":1},"a":2}');
    expect(deserialize(s.bytes, { codec: "json", kind: "json" }, "auto", "k").data).toEqual(withProto);
  });

  it("model JSON keeps a __proto__ key", () => {
    expect(JSON.stringify(modelJson(withProto))).toBe('{"__proto__":{"x":1},"a":2}');
  });
});
