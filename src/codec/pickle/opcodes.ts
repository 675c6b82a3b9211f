/**
 * Pickle opcodes, as CPython's Lib/pickle.py names them. One byte each; the
 * comment says which protocol introduced it and what it carries.
 */
export const Op = {
  // Protocol 0 (text) and 1 (binary).
  MARK: 0x28, // (   push a mark
  STOP: 0x2e, // .   end of pickle
  POP: 0x30, // 0   discard the top item (or the top mark)
  POP_MARK: 0x31, // 1   discard everything down to the top mark
  DUP: 0x32, // 2   push the top item again
  FLOAT: 0x46, // F   float as text, newline-terminated
  INT: 0x49, // I   int as text; "01"/"00" mean True/False
  BININT: 0x4a, // J   4-byte signed int
  BININT1: 0x4b, // K   1-byte unsigned int
  LONG: 0x4c, // L   int as text with optional trailing "L"
  BININT2: 0x4d, // M   2-byte unsigned int
  NONE: 0x4e, // N
  PERSID: 0x50, // P   persistent id (text)
  BINPERSID: 0x51, // Q   persistent id (from the stack)
  REDUCE: 0x52, // R   call a callable with a tuple
  STRING: 0x53, // S   Python 2 str, quoted text
  BINSTRING: 0x54, // T   Python 2 str, 4-byte length
  SHORT_BINSTRING: 0x55, // U   Python 2 str, 1-byte length
  UNICODE: 0x56, // V   str, raw-unicode-escape text
  BINUNICODE: 0x58, // X   str, UTF-8 with 4-byte length
  APPEND: 0x61, // a
  BUILD: 0x62, // b   __setstate__ / __dict__.update
  GLOBAL: 0x63, // c   module and name as two text lines
  DICT: 0x64, // d   dict from the items above the mark
  APPENDS: 0x65, // e
  GET: 0x67, // g   memo get, text index
  BINGET: 0x68, // h   memo get, 1-byte index
  INST: 0x69, // i   old-style instance
  LONG_BINGET: 0x6a, // j   memo get, 4-byte index
  LIST: 0x6c, // l   list from the items above the mark
  OBJ: 0x6f, // o   old-style instance from the stack
  PUT: 0x70, // p   memo put, text index
  BINPUT: 0x71, // q   memo put, 1-byte index
  LONG_BINPUT: 0x72, // r   memo put, 4-byte index
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t   tuple from the items above the mark
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_LIST: 0x5d, // ]
  EMPTY_TUPLE: 0x29, // )
  BINFLOAT: 0x47, // G   8-byte big-endian IEEE double
  // Protocol 2.
  PROTO: 0x80,
  NEWOBJ: 0x81, // cls.__new__(cls, *args)
  EXT1: 0x82, // extension registry (copyreg), 1-byte code
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a, // int, two's complement little-endian, 1-byte length
  LONG4: 0x8b, // same with a 4-byte length
  // Protocol 3.
  BINBYTES: 0x42, // B   bytes, 4-byte length
  SHORT_BINBYTES: 0x43, // C   bytes, 1-byte length
  // Protocol 4.
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  // Protocol 5.
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97, // out-of-band buffer
  READONLY_BUFFER: 0x98,
} as const;

/** The highest protocol this module reads (CPython's HIGHEST_PROTOCOL). */
export const HIGHEST_PROTOCOL = 5;

/** The protocol the writer emits: the oldest with frames, sets and 8-byte lengths. */
export const WRITE_PROTOCOL = 4;

const names = new Map<number, string>(Object.entries(Op).map(([name, code]) => [code, name]));

/** "SETITEMS", or "unknown opcode 0xfe" for bytes that are not opcodes. */
export function opcodeName(code: number): string {
  return names.get(code) ?? `unknown opcode 0x${code.toString(16).padStart(2, "0")}`;
}
