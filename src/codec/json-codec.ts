import { AnykvError } from "../errors.js";
import type { Codec } from "./codec.js";
import { dataToJson, type JsonValue, jsonToData } from "./json-data.js";
import { textCodec } from "./text-codec.js";

const encoder = new TextEncoder();

/** JSON text, UTF-8. Only trees that JSON holds are encoded (see isJsonExact). */
export const jsonCodec: Codec = {
  name: "json",
  contentType: "application/json",
  encode: (value) => encoder.encode(JSON.stringify(dataToJson(value))),
  decode(bytes) {
    const text = textCodec.decode(bytes);
    if (text.type !== "str") throw new AnykvError("DECODE_FAILED", "the bytes are not JSON");
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(text.value) as JsonValue;
    } catch (cause) {
      throw new AnykvError("DECODE_FAILED", "the bytes are not JSON", { cause });
    }
    return jsonToData(parsed);
  },
};
