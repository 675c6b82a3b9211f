import { AnykvError } from "../../errors.js";

/**
 * UTF-8 with Python's "surrogatepass" error handler, which pickle uses for
 * str: a lone surrogate (legal in both a Python str and a JS string) is
 * written as its 3-byte form instead of being replaced by U+FFFD. The reader
 * and writer handle well-formed text with Node's Buffer and come here for the
 * rest (and for GLOBAL names).
 */

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF, which is data in a pickled str.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Quick pre-check: only strings with a surrogate code unit can be ill-formed. */
const SURROGATE = /[\uD800-\uDFFF]/;
/** With the u flag, a valid pair is one code point; only lone halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

export function hasLoneSurrogate(s: string): boolean {
  return SURROGATE.test(s) && LONE_SURROGATE.test(s);
}

export function encodeUtf8(s: string): Uint8Array {
  return hasLoneSurrogate(s) ? encodeSurrogatepass(s) : encoder.encode(s);
}

function encodeSurrogatepass(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 1) {
    // codePointAt joins a valid pair and returns a lone half as itself.
    const cp = s.codePointAt(i) ?? 0;
    if (cp > 0xffff) i += 1;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

export function decodeUtf8(bytes: Uint8Array): string {
  // Very short ASCII strings (dict keys, mostly) are cheaper by hand than through the
  // decoder's call overhead; past a few bytes the decoder wins.
  if (bytes.length <= 8) {
    let out = "";
    for (const b of bytes) {
      if (b >= 0x80) return decodeLonger(bytes);
      out += String.fromCharCode(b);
    }
    return out;
  }
  return decodeLonger(bytes);
}

function decodeLonger(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return decodeSurrogatepass(bytes);
  }
}

/** The slow path: accepts encoded surrogates (ED A0..BF xx), rejects everything else ill-formed. */
function decodeSurrogatepass(bytes: Uint8Array): string {
  const units: number[] = [];
  const invalid = (at: number): AnykvError =>
    new AnykvError("DECODE_FAILED", `pickle holds a str that is not valid UTF-8 (byte ${at} of the string)`);
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i] ?? 0;
    let cp: number;
    let need: number;
    let min: number;
    if (b0 < 0x80) {
      units.push(b0);
      i += 1;
      continue;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 0x1f;
      need = 1;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 0x0f;
      need = 2;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 0x07;
      need = 3;
      min = 0x10000;
    } else {
      throw invalid(i);
    }
    for (let k = 1; k <= need; k += 1) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) throw invalid(i);
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff) throw invalid(i);
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      units.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
    } else {
      units.push(cp);
    }
    i += need + 1;
  }
  let out = "";
  for (let k = 0; k < units.length; k += 4096) out += String.fromCharCode(...units.slice(k, k + 4096));
  return out;
}
