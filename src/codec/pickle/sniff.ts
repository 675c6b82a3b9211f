import { HIGHEST_PROTOCOL, Op } from "./opcodes.js";

/** Opcodes a protocol 0 or 1 pickle can start with (a value, a MARK or a GLOBAL). */
const PROTOCOL_0_1_FIRST = new Set<number>([
  Op.MARK,
  Op.EMPTY_LIST,
  Op.EMPTY_DICT,
  Op.EMPTY_TUPLE,
  Op.NONE,
  Op.INT,
  Op.LONG,
  Op.FLOAT,
  Op.STRING,
  Op.UNICODE,
  Op.GLOBAL,
  Op.BININT,
  Op.BININT1,
  Op.BININT2,
  Op.BINFLOAT,
  Op.BINSTRING,
  Op.SHORT_BINSTRING,
  Op.BINUNICODE,
]);

/**
 * A cheap guess, for auto mode, at whether `bytes` are a pickle: PROTO with a
 * version 2–5, or a protocol 0/1 opening opcode with STOP as the last byte.
 * It reads two bytes and the last one; decodePickle is what decides.
 */
export function isPickle(bytes: Uint8Array): boolean {
  const first = bytes[0];
  if (first === undefined || bytes.length < 2) return false;
  if (first === Op.PROTO) {
    const version = bytes[1] ?? 0;
    return version >= 2 && version <= HIGHEST_PROTOCOL && bytes.length >= 3;
  }
  return bytes[bytes.length - 1] === Op.STOP && PROTOCOL_0_1_FIRST.has(first);
}
