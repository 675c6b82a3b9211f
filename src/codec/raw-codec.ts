import { AnykvError } from "../errors.js";
import type { Codec } from "./codec.js";
import { data } from "./data.js";

/** Bytes as they are. */
export const rawCodec: Codec = {
  name: "raw",
  contentType: "application/octet-stream",
  encode(value) {
    if (value.type !== "bytes" && value.type !== "bytearray") {
      throw new AnykvError("INVALID_VALUE", `raw stores bytes, not ${value.type}`);
    }
    return value.value;
  },
  decode: (bytes) => data.bytes(bytes),
};
