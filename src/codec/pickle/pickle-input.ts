import { Buffer } from "node:buffer";
import { AnykvError } from "../../errors.js";
import { decodeUtf8 } from "./utf8.js";

/**
 * A cursor over the pickle bytes. Every read checks the remaining length
 * first, so a length prefix that claims more than the input holds (2^64 − 1
 * included) fails as "truncated pickle" before anything is allocated.
 */
export class PickleInput {
  private readonly view: DataView;
  /** The same bytes as a Node Buffer, whose toString decodes a range without making a view of it. */
  private readonly buffer: Buffer;
  pos = 0;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.bytes.length - this.pos) {
      throw new AnykvError(
        "DECODE_FAILED",
        `truncated pickle: ${what} at byte ${this.pos} needs ${n} bytes but only ${this.remaining} remain`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An 8-byte length; anything past the input is reported as truncation, not as a huge number. */
  u64(what: string): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    // 2^21 * 2^32 = 2^53: larger cannot be exact and cannot fit any input anyway.
    return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x1_0000_0000 + lo;
  }

  f64be(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** `n` bytes as a view into the input (callers copy when the value must own them). */
  slice(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * `n` bytes of UTF-8 as a str. Buffer's decoder is the fast path, but it
   * replaces bad sequences with U+FFFD where pickle's rules (surrogatepass,
   * otherwise strict) differ, so any U+FFFD sends the bytes to decodeUtf8.
   */
  utf8(n: number, what: string): string {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    const text = this.buffer.toString("utf8", start, start + n);
    return text.includes("\uFFFD") ? decodeUtf8(this.bytes.subarray(start, start + n)) : text;
  }

  /** `n` bytes as a str of the same code points (Python 2 str read with encoding="latin1"). */
  latin1(n: number, what: string): string {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    return this.buffer.toString("latin1", start, start + n);
  }

  /** The bytes up to the next newline, which is consumed and not returned (protocol 0 arguments). */
  line(what: string): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) {
      throw new AnykvError(
        "DECODE_FAILED",
        `truncated pickle: ${what} at byte ${this.pos} has no terminating newline`,
      );
    }
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }
}
