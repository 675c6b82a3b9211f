import { AnykvError } from "../errors.js";
import type { Codec, CodecName } from "./codec.js";
import { jsonCodec } from "./json-codec.js";
import { pickleCodec } from "./pickle-codec.js";
import { rawCodec } from "./raw-codec.js";
import { textCodec } from "./text-codec.js";

const codecs: Readonly<Record<CodecName, Codec>> = {
  raw: rawCodec,
  text: textCodec,
  json: jsonCodec,
  pickle: pickleCodec,
};

export function isCodecName(name: string): name is CodecName {
  return Object.hasOwn(codecs, name);
}

/** The codec registered under `name`; DECODE_FAILED for a name no codec has. */
export function getCodec(name: string): Codec {
  if (!isCodecName(name))
    throw new AnykvError("DECODE_FAILED", `unknown codec "${name}" in the key's metadata`);
  return codecs[name];
}
