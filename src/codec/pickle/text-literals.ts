import { AnykvError } from "../../errors.js";

/**
 * The text arguments of protocol 0 opcodes (INT, LONG, FLOAT, STRING,
 * UNICODE), parsed the way CPython's unpickler parses them: `int(s, 0)`,
 * `float(s)`, `codecs.escape_decode` of a quoted literal, and the
 * raw-unicode-escape codec. Each returns undefined for malformed text; the
 * reader turns that into DECODE_FAILED with the offset.
 */

/** Python refuses to convert longer decimal strings to int (sys.int_info.default_max_str_digits). */
export const MAX_DECIMAL_DIGITS = 4300;

const INT_TEXT =
  /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|([1-9](?:_?\d)*|0(?:_?0)*))$/;

/** `int(text, 0)`: decimal without leading zeros, or 0x/0o/0b, with optional underscores. */
export function parseIntText(text: string): bigint | undefined {
  const m = INT_TEXT.exec(text.trim());
  if (m === null) return undefined;
  const [, sign, hex, oct, bin, dec] = m;
  let magnitude: bigint;
  if (hex !== undefined) magnitude = BigInt(`0x${hex.replaceAll("_", "")}`);
  else if (oct !== undefined) magnitude = BigInt(`0o${oct.replaceAll("_", "")}`);
  else if (bin !== undefined) magnitude = BigInt(`0b${bin.replaceAll("_", "")}`);
  else {
    const digits = (dec ?? "").replaceAll("_", "");
    if (digits.length > MAX_DECIMAL_DIGITS) return undefined;
    magnitude = BigInt(digits);
  }
  return sign === "-" ? -magnitude : magnitude;
}

const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT_TEXT = new RegExp(
  String.raw`^[+-]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`,
);
const SPECIAL_FLOAT = /^([+-]?)(inf|infinity|nan)$/i;

/** `float(text)`, including inf/infinity/nan in any case. */
export function parseFloatText(text: string): number | undefined {
  const t = text.trim();
  const special = SPECIAL_FLOAT.exec(t);
  if (special !== null) {
    if (special[2]?.toLowerCase() === "nan") return Number.NaN;
    return special[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!FLOAT_TEXT.test(t)) return undefined;
  return Number(t.replaceAll("_", ""));
}

const SIMPLE_ESCAPES = new Map<number, number>([
  [0x5c, 0x5c], // \\
  [0x27, 0x27], // \'
  [0x22, 0x22], // \"
  [0x61, 0x07], // \a
  [0x62, 0x08], // \b
  [0x66, 0x0c], // \f
  [0x6e, 0x0a], // \n
  [0x72, 0x0d], // \r
  [0x74, 0x09], // \t
  [0x76, 0x0b], // \v
]);

const hexValue = (b: number | undefined): number => {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
};

/**
 * STRING's argument: a quoted Python 2 str literal. Returns the bytes after
 * `codecs.escape_decode`, or undefined when the quotes or escapes are bad.
 */
export function decodeQuotedString(line: Uint8Array): Uint8Array | undefined {
  const quote = line[0];
  if (line.length < 2 || (quote !== 0x27 && quote !== 0x22) || line[line.length - 1] !== quote)
    return undefined;
  const out: number[] = [];
  const end = line.length - 1;
  let i = 1;
  while (i < end) {
    const b = line[i] ?? 0;
    i += 1;
    if (b !== 0x5c) {
      out.push(b);
      continue;
    }
    if (i >= end) return undefined; // "Trailing \ in string"
    const e = line[i] ?? 0;
    i += 1;
    const simple = SIMPLE_ESCAPES.get(e);
    if (simple !== undefined) {
      out.push(simple);
    } else if (e === 0x0a) {
      // Backslash-newline is a line continuation: nothing.
    } else if (e >= 0x30 && e <= 0x37) {
      let v = e - 0x30;
      for (let k = 0; k < 2 && i < end && (line[i] ?? 0) >= 0x30 && (line[i] ?? 0) <= 0x37; k += 1) {
        v = v * 8 + ((line[i] ?? 0) - 0x30);
        i += 1;
      }
      out.push(v & 0xff);
    } else if (e === 0x78) {
      const hi = i < end ? hexValue(line[i]) : -1;
      const lo = i + 1 < end ? hexValue(line[i + 1]) : -1;
      if (hi < 0 || lo < 0) return undefined; // "invalid \x escape"
      out.push(hi * 16 + lo);
      i += 2;
    } else {
      // Unknown escapes keep their backslash, as Python 2 string literals do.
      out.push(0x5c, e);
    }
  }
  return Uint8Array.from(out);
}

/** Bytes as a str of the same code points: how STRING/BINSTRING read (see pickle-reader.ts). */
export function latin1String(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/**
 * UNICODE's argument in the raw-unicode-escape codec: bytes are Latin-1 code
 * points except `\uXXXX` and `\UXXXXXXXX`; a backslash before anything else
 * stands for itself. Undefined for a truncated escape or a code point past U+10FFFF.
 */
export function decodeRawUnicodeEscape(line: Uint8Array): string | undefined {
  let out = "";
  let run = 0; // start of the current run of plain bytes
  let i = 0;
  const flush = (to: number): void => {
    if (to > run) out += latin1String(line.subarray(run, to));
  };
  while (i < line.length) {
    if (line[i] !== 0x5c || (line[i + 1] !== 0x75 && line[i + 1] !== 0x55)) {
      // A backslash not followed by u/U is literal, and so is the byte after it.
      i += line[i] === 0x5c && i + 1 < line.length ? 2 : 1;
      continue;
    }
    flush(i);
    const count = line[i + 1] === 0x75 ? 4 : 8;
    let cp = 0;
    for (let k = 0; k < count; k += 1) {
      const h = hexValue(line[i + 2 + k]);
      if (h < 0) return undefined;
      cp = cp * 16 + h;
    }
    if (cp > 0x10ffff) return undefined;
    out += String.fromCodePoint(cp);
    i += 2 + count;
    run = i;
  }
  flush(line.length);
  return out;
}

/** A text error in one place, so messages stay uniform. */
export function badText(opcode: string, offset: number): AnykvError {
  return new AnykvError("DECODE_FAILED", `pickle has a malformed ${opcode} argument at byte ${offset}`);
}
