import { AnykvError } from "../errors.js";
import type { Codec } from "./codec.js";

/** Python pickle. Placeholder until the pickle reader and writer land. */
export const pickleCodec: Codec = {
  name: "pickle",
  contentType: "application/python-pickle",
  encode() {
    throw new AnykvError("UNIMPLEMENTED", "pickle mode is not implemented yet");
  },
  decode() {
    throw new AnykvError("UNIMPLEMENTED", "pickle mode is not implemented yet");
  },
};

/** Whether bytes look like a pickle (placeholder: never, until the reader lands). */
export function isPickle(_bytes: Uint8Array): boolean {
  return false;
}
