import { Buffer } from "node:buffer";
import { Op } from "./opcodes.js";
import { encodeUtf8, hasLoneSurrogate } from "./utf8.js";

// The opcodes as local constants: the hot switch compares against these, and a
// local constant is cheaper to read than a property (and than a bundler's import getter).
const { BINUNICODE, BINUNICODE8, FRAME, SHORT_BINUNICODE } = Op;

/** CPython's framing constants (Lib/pickle.py, _Framer). */
const FRAME_SIZE_TARGET = 64 * 1024;
const FRAME_SIZE_MIN = 4;
const FRAME_HEADER_SIZE = 9;
/** Above this many UTF-16 units a str may encode to a "large" payload (3 bytes per unit). */
const MAX_SMALL_STR_UNITS = Math.floor((FRAME_SIZE_TARGET - 1) / 3);
/** Most pickles are small; the buffer doubles as needed. */
const INITIAL_SIZE = 256;

/**
 * A growable output buffer that frames protocol 4 output the way CPython's
 * C pickler does: a frame opens lazily at the first write, is committed at
 * the first opcode boundary once it holds 64 KiB, loses its header when it
 * holds fewer than 4 bytes, and a str or bytes payload of 64 KiB or more is
 * written outside any frame so readers can take it without copying.
 */
export class PickleOutput {
  private buf = new Uint8Array(INITIAL_SIZE);
  private view = new DataView(this.buf.buffer);
  /** The same memory as a Node Buffer, whose write() encodes UTF-8 in place without a temporary. */
  private node = Buffer.from(this.buf.buffer);
  private len = 0;
  /** Offset of the open frame's reserved header, or -1 when no frame is open. */
  private frameStart = -1;
  framing = false;

  /** Makes room for `n` bytes (opening a frame if needed) and returns where they go. */
  private reserve(n: number): number {
    let need = n;
    if (this.framing && this.frameStart === -1) need += FRAME_HEADER_SIZE;
    if (this.len + need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + need) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
      this.node = Buffer.from(bigger.buffer);
    }
    if (this.framing && this.frameStart === -1) {
      this.frameStart = this.len;
      this.len += FRAME_HEADER_SIZE;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  // Each writer reserves before touching `this.buf`: reserve() may replace the buffer.
  op(code: number): void {
    const at = this.reserve(1);
    this.buf[at] = code;
  }

  opU8(code: number, value: number): void {
    const at = this.reserve(2);
    this.buf[at] = code;
    this.buf[at + 1] = value;
  }

  opU16(code: number, value: number): void {
    const at = this.reserve(3);
    this.buf[at] = code;
    this.view.setUint16(at + 1, value, true);
  }

  opI32(code: number, value: number): void {
    const at = this.reserve(5);
    this.buf[at] = code;
    this.view.setInt32(at + 1, value, true);
  }

  opU32(code: number, value: number): void {
    const at = this.reserve(5);
    this.buf[at] = code;
    this.view.setUint32(at + 1, value, true);
  }

  opF64(code: number, value: number): void {
    const at = this.reserve(9);
    this.buf[at] = code;
    this.view.setFloat64(at + 1, value, false);
  }

  /** An opcode with a length prefix of `prefixSize` bytes and a payload. */
  opPayload(code: number, prefixSize: 1 | 4 | 8, payload: Uint8Array): void {
    if (payload.length >= FRAME_SIZE_TARGET) {
      this.commitFrame();
      this.framing = false;
      this.header(code, prefixSize, payload.length);
      const at = this.reserve(payload.length);
      this.buf.set(payload, at);
      this.framing = true;
      return;
    }
    this.header(code, prefixSize, payload.length);
    const at = this.reserve(payload.length);
    this.buf.set(payload, at);
  }

  private header(code: number, prefixSize: 1 | 4 | 8, size: number): void {
    if (prefixSize === 1) this.opU8(code, size);
    else if (prefixSize === 4) this.opU32(code, size);
    else {
      const at = this.reserve(9);
      this.buf[at] = code;
      this.view.setUint32(at + 1, size % 0x1_0000_0000, true);
      this.view.setUint32(at + 5, Math.floor(size / 0x1_0000_0000), true);
    }
  }

  /** A str as SHORT_BINUNICODE, BINUNICODE or BINUNICODE8, by its UTF-8 length. */
  str(s: string): void {
    if (s.length <= 0xff && this.shortAscii(s)) return;
    if (hasLoneSurrogate(s)) {
      // Buffer would write U+FFFD; pickle keeps the surrogate (Python's "surrogatepass").
      const bytes = encodeUtf8(s);
      this.opPayload(
        bytes.length <= 0xff ? SHORT_BINUNICODE : BINUNICODE,
        bytes.length <= 0xff ? 1 : 4,
        bytes,
      );
      return;
    }
    if (s.length > MAX_SMALL_STR_UNITS) {
      const size = Buffer.byteLength(s, "utf8");
      if (size >= FRAME_SIZE_TARGET) {
        // Outside any frame, as CPython writes large payloads.
        this.commitFrame();
        this.framing = false;
        this.header(size > 0xffff_ffff ? BINUNICODE8 : BINUNICODE, size > 0xffff_ffff ? 8 : 4, size);
        const at = this.reserve(size);
        this.node.write(s, at, size, "utf8");
        this.framing = true;
        return;
      }
    }
    // Stays in the frame: encode straight into the buffer behind a 5-byte header,
    // and close the gap if it turned out to need only the short one.
    const at = this.reserve(5 + 3 * s.length);
    const n = this.node.write(s, at + 5, "utf8");
    if (n <= 0xff) {
      this.buf[at] = SHORT_BINUNICODE;
      this.buf[at + 1] = n;
      this.buf.copyWithin(at + 2, at + 5, at + 5 + n);
      this.len = at + 2 + n;
    } else {
      this.buf[at] = BINUNICODE;
      this.view.setUint32(at + 1, n, true);
      this.len = at + 5 + n;
    }
  }

  /** SHORT_BINUNICODE for an ASCII `s` (the usual key or short value), copied by hand; false if not ASCII. */
  private shortAscii(s: string): boolean {
    const at = this.reserve(2 + s.length);
    const buf = this.buf;
    for (let i = 0; i < s.length; i += 1) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = at; // give the room back (a frame opened by reserve stays open, as it would anyway)
        return false;
      }
      buf[at + 2 + i] = c;
    }
    buf[at] = SHORT_BINUNICODE;
    buf[at + 1] = s.length;
    return true;
  }

  /** Ends the open frame if it has reached the target size (CPython does this between opcodes). */
  boundary(): void {
    if (this.frameStart !== -1 && this.len - this.frameStart - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET) {
      this.commitFrame();
    }
  }

  commitFrame(): void {
    if (this.frameStart === -1) return;
    const start = this.frameStart;
    const size = this.len - start - FRAME_HEADER_SIZE;
    if (size >= FRAME_SIZE_MIN) {
      this.buf[start] = FRAME;
      this.view.setUint32(start + 1, size % 0x1_0000_0000, true);
      this.view.setUint32(start + 5, Math.floor(size / 0x1_0000_0000), true);
    } else {
      this.buf.copyWithin(start, start + FRAME_HEADER_SIZE, this.len);
      this.len -= FRAME_HEADER_SIZE;
    }
    this.frameStart = -1;
  }

  /** The pickle so far, in a buffer of its own. */
  finish(): Uint8Array {
    this.commitFrame();
    return this.buf.slice(0, this.len);
  }
}
