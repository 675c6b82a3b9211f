import { describe, expect, it } from "vitest";
import type { Codec } from "../../src/codec/codec.js";
import { getCodec } from "../../src/codec/codec-registry.js";
import { isJsonExact } from "../../src/codec/json-data.js";
import { samples } from "./samples.js";

/** Which samples a codec can hold; the rest must be refused with INVALID_VALUE, never mangled. */
const holds: Record<string, (name: string) => boolean> = {
  raw: (name) => samples[name]!.type === "bytes",
  text: (name) => samples[name]!.type === "str",
  json: (name) => isJsonExact(samples[name]!),
};

for (const codecName of ["raw", "text", "json"] as const) {
  const codec: Codec = getCodec(codecName);
  describe(`${codecName} codec round trip`, () => {
    for (const name of Object.keys(samples)) {
      if (holds[codecName]!(name)) {
        it(`keeps ${name} exactly`, () => {
          const value = samples[name]!;
          expect(codec.decode(codec.encode(value))).toEqual(value);
        });
      }
    }
  });
}

describe("codec refusals", () => {
  it("raw refuses anything but bytes", () => {
    expect(() => getCodec("raw").encode(samples.string!)).toThrow(/raw stores bytes/);
  });
  it("text refuses anything but strings, and decodes only UTF-8", () => {
    expect(() => getCodec("text").encode(samples.bytes!)).toThrow(/text stores strings/);
    expect(() => getCodec("text").decode(new Uint8Array([0xff, 0xfe]))).toThrow(/not valid UTF-8/);
  });
  it("json decodes only JSON", () => {
    expect(() => getCodec("json").decode(new TextEncoder().encode("{nope"))).toThrow(/not JSON/);
  });
  it("unknown codec names in metadata are DECODE_FAILED", () => {
    expect(() => getCodec("zstd")).toThrow(/unknown codec "zstd"/);
  });
});
