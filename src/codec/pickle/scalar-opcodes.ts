import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import type { Expansion } from "./expansion.js";
import { decodeLong } from "./long-codec.js";
import { Op } from "./opcodes.js";
import type { PickleInput } from "./pickle-input.js";
import { LIMIT_FLAGS } from "./pickle-limits.js";
import {
  badText,
  decodeQuotedString,
  decodeRawUnicodeEscape,
  latin1String,
  MAX_DECIMAL_DIGITS,
  parseFloatText,
  parseIntText,
} from "./text-literals.js";

// The opcodes as local constants: the hot switch compares against these, and a
// local constant is cheaper to read than a property (and than a bundler's import getter).
const {
  BINBYTES,
  BINBYTES8,
  BINFLOAT,
  BININT,
  BININT1,
  BININT2,
  BINSTRING,
  BINUNICODE,
  BINUNICODE8,
  BYTEARRAY8,
  FLOAT,
  INT,
  LONG,
  LONG1,
  LONG4,
  NEWFALSE,
  NEWTRUE,
  NONE,
  SHORT_BINBYTES,
  SHORT_BINSTRING,
  SHORT_BINUNICODE,
  STRING,
  UNICODE,
} = Op;

/**
 * The opcodes that push one scalar (None, bool, int, float, str, bytes,
 * bytearray) read from their own argument. Split from the unpickler's main
 * loop, which handles the stack, the memo and the containers.
 */

const NONE_VALUE: Data = { type: "none" };
const TRUE_VALUE: Data = { type: "bool", value: true };
const FALSE_VALUE: Data = { type: "bool", value: false };
/** BININT1 values: immutable, so one object per value serves every pickle. */
const SMALL_INTS: readonly Data[] = Array.from({ length: 256 }, (_, i) => ({
  type: "int",
  value: BigInt(i),
}));

/** The value opcode `op` (at byte `at`) pushes, or undefined when `op` is not a scalar opcode. */
export function readScalar(
  op: number,
  at: number,
  input: PickleInput,
  expansion: Expansion,
): Data | undefined {
  switch (op) {
    case NONE:
      return NONE_VALUE;
    case NEWTRUE:
      return TRUE_VALUE;
    case NEWFALSE:
      return FALSE_VALUE;
    case BININT1:
      return SMALL_INTS[input.u8("BININT1")];
    case BININT2:
      return { type: "int", value: BigInt(input.u16("BININT2")) };
    case BININT:
      return { type: "int", value: BigInt(input.i32("BININT")) };
    case LONG1:
      return long(input, input.u8("LONG1"), "LONG1", at, expansion);
    case LONG4:
      return long(input, nonNegative(input.i32("LONG4"), "LONG4", at), "LONG4", at, expansion);
    case INT:
    case LONG:
      return textInt(op === LONG, at, input, expansion);
    case BINFLOAT:
      return { type: "float", value: input.f64be("BINFLOAT") };
    case FLOAT: {
      const value = parseFloatText(latin1String(input.line("FLOAT")));
      if (value === undefined) throw badText("FLOAT", at);
      return { type: "float", value };
    }
    case SHORT_BINUNICODE:
      return { type: "str", value: input.utf8(input.u8("SHORT_BINUNICODE"), "SHORT_BINUNICODE") };
    case BINUNICODE:
      return { type: "str", value: input.utf8(input.u32("BINUNICODE"), "BINUNICODE") };
    case BINUNICODE8:
      return { type: "str", value: input.utf8(input.u64("BINUNICODE8"), "BINUNICODE8") };
    case UNICODE: {
      const value = decodeRawUnicodeEscape(input.line("UNICODE"));
      if (value === undefined) throw badText("UNICODE", at);
      return { type: "str", value };
    }
    // Python 2 str: read as pickle.loads(…, encoding="latin1") does (see pickle-reader.ts).
    case SHORT_BINSTRING:
      return { type: "str", value: input.latin1(input.u8("SHORT_BINSTRING"), "SHORT_BINSTRING") };
    case BINSTRING:
      return {
        type: "str",
        value: input.latin1(nonNegative(input.i32("BINSTRING"), "BINSTRING", at), "BINSTRING"),
      };
    case STRING: {
      const bytes = decodeQuotedString(input.line("STRING"));
      if (bytes === undefined) throw badText("STRING", at);
      return { type: "str", value: latin1String(bytes) };
    }
    case SHORT_BINBYTES:
      return bytes("bytes", input, input.u8("SHORT_BINBYTES"), "SHORT_BINBYTES");
    case BINBYTES:
      return bytes("bytes", input, input.u32("BINBYTES"), "BINBYTES");
    case BINBYTES8:
      return bytes("bytes", input, input.u64("BINBYTES8"), "BINBYTES8");
    case BYTEARRAY8:
      return bytes("bytearray", input, input.u64("BYTEARRAY8"), "BYTEARRAY8");
    default:
      return undefined;
  }
}

function nonNegative(size: number, opcode: string, at: number): number {
  if (size < 0)
    throw new AnykvError(
      "DECODE_FAILED",
      `pickle has a ${opcode} with negative length ${size} at byte ${at}`,
    );
  return size;
}

/** Copied out of the input, so that the value does not change if the caller reuses its buffer. */
function bytes(type: "bytes" | "bytearray", input: PickleInput, size: number, opcode: string): Data {
  return { type, value: input.slice(size, opcode).slice() };
}

function long(input: PickleInput, size: number, opcode: string, at: number, expansion: Expansion): Data {
  const bytes = input.slice(size, opcode);
  const max = expansion.limits.maxIntDigits;
  // An int whose shortest form takes `size` bytes is at least 2^(8·size − 9): refused before
  // it is even converted when that alone has too many digits.
  if (size > 1 && Math.floor((8 * size - 9) * Math.LOG10E * Math.LN2) + 1 > max) throw tooManyDigits(max, at);
  const value: Data = { type: "int", value: decodeLong(bytes) };
  if (decimalDigits(value.value) > max) throw tooManyDigits(max, at);
  expansion.noteBigInt(value, size);
  return value;
}

/** Decimal digits of `x` without converting it to decimal, except right at a limit. */
export function decimalDigits(x: bigint): number {
  const magnitude = x < 0n ? -x : x;
  if (magnitude < 10n ** 15n) return magnitude.toString().length;
  const hex = magnitude.toString(16); // linear, unlike toString(10)
  const bits = (hex.length - 1) * 4 + Number.parseInt(hex[0] ?? "1", 16).toString(2).length;
  // 2^(bits−1) <= magnitude < 2^bits
  const low = Math.floor((bits - 1) * Math.LOG10E * Math.LN2) + 1;
  const high = Math.floor(bits * Math.LOG10E * Math.LN2) + 1;
  return low === high ? low : magnitude.toString().length;
}

function tooManyDigits(max: number, at: number): AnykvError {
  return new AnykvError(
    "LIMIT_EXCEEDED",
    `pickle has an int of more than ${max} decimal digits at byte ${at}; ` +
      `limit maxIntDigits, raised with ${LIMIT_FLAGS.maxIntDigits}`,
  );
}

/** INT ("I01" and "I00" are Python 2's True and False) and LONG (with Python 2's trailing "L"). */
function textInt(isLong: boolean, at: number, input: PickleInput, expansion: Expansion): Data {
  const opcode = isLong ? "LONG" : "INT";
  let text = latin1String(input.line(opcode));
  if (!isLong && text === "01") return TRUE_VALUE;
  if (!isLong && text === "00") return FALSE_VALUE;
  if (isLong && text.endsWith("L")) text = text.slice(0, -1);
  const value = parseIntText(text);
  if (value === undefined) {
    if (text.length > MAX_DECIMAL_DIGITS) {
      throw new AnykvError(
        "DECODE_FAILED",
        `pickle has an int of more than ${MAX_DECIMAL_DIGITS} digits at byte ${at}, as Python refuses`,
      );
    }
    throw badText(opcode, at);
  }
  const d: Data = { type: "int", value };
  // About 2.4 decimal digits per byte.
  expansion.noteBigInt(d, Math.ceil(text.length / 2.4));
  return d;
}
