import type { Codec } from "./codec.js";
import { decodePickle, encodePickle } from "./pickle/index.js";

export { isPickle } from "./pickle/index.js";

/**
 * Python's pickle: protocol 4 out, protocols 0–5 in, data only. Python
 * programs read what anykv writes and anykv reads what they write; reading
 * never runs anything (see pickle/pickle-reader.ts).
 */
export const pickleCodec: Codec = {
  name: "pickle",
  contentType: "application/python-pickle",
  encode: encodePickle,
  decode: (bytes, limits) => decodePickle(bytes, limits),
};
