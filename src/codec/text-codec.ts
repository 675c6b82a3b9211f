import { AnykvError } from "../errors.js";
import type { Codec } from "./codec.js";
import { data } from "./data.js";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** A string as UTF-8 bytes. */
export const textCodec: Codec = {
  name: "text",
  contentType: "text/plain; charset=utf-8",
  encode(value) {
    if (value.type !== "str") throw new AnykvError("INVALID_VALUE", `text stores strings, not ${value.type}`);
    return encoder.encode(value.value);
  },
  decode(bytes) {
    try {
      return data.str(decoder.decode(bytes));
    } catch (cause) {
      throw new AnykvError("DECODE_FAILED", "the bytes are not valid UTF-8", { cause });
    }
  },
};
