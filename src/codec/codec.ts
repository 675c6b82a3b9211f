import type { Data } from "./data.js";
import type { PickleLimits } from "./pickle/index.js";

/** The names of the codecs, as recorded in each key's metadata. */
export type CodecName = "raw" | "text" | "json" | "pickle";

/**
 * A codec turns a data tree into stored bytes and back, like an
 * abstract-level encoding. Codecs are pure; limits and mode rules wrap them.
 */
export interface Codec {
  readonly name: CodecName;
  /** The MIME type of what `encode` writes. */
  readonly contentType: string;
  /** Data → bytes. Throws INVALID_VALUE when the codec cannot hold the value. */
  encode(value: Data): Uint8Array;
  /**
   * Bytes → Data. Throws DECODE_FAILED when the bytes are not this codec's, LIMIT_EXCEEDED when
   * they decode to more than `limits` allow (only pickles can expand beyond their size).
   */
  decode(bytes: Uint8Array, limits?: PickleLimits): Data;
}
