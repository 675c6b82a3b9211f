import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Data } from "../../../src/codec/data.js";
import { decodePickle, encodePickle } from "../../../src/codec/pickle/index.js";
import { Op } from "../../../src/codec/pickle/opcodes.js";
import { AnykvError } from "../../../src/errors.js";
import { dataArb } from "./data-arbitrary.js";
import { cases } from "./matrix.js";
import { pk } from "./pickle-bytes.js";

/**
 * Whatever the bytes, decodePickle returns Data or throws AnykvError, and
 * does so quickly. What it returns, encodePickle writes back to the same Data.
 * Each property is capped in wall-clock time as well as in runs.
 */

const MAX_MS_PER_DECODE = 250;
const budget = { numRuns: 3000, interruptAfterTimeLimit: 4000 } as const;

function decodesSafely(bytes: Uint8Array): void {
  const started = performance.now();
  let decoded: Data | undefined;
  try {
    decoded = decodePickle(bytes);
  } catch (err) {
    if (!(err instanceof AnykvError)) throw err;
  }
  const took = performance.now() - started;
  if (took > MAX_MS_PER_DECODE) throw new Error(`decodePickle took ${took.toFixed(0)} ms`);
  if (decoded !== undefined) expect(decodePickle(encodePickle(decoded))).toEqual(decoded);
}

/** Valid pickles to mutate: ours (protocol 4) and hand-written protocol 0–2 ones. */
const seeds: Uint8Array[] = [
  ...cases.filter((c) => encodePickle(c.value).length < 2048).map((c) => encodePickle(c.value)),
  pk(
    "(lp0\nI1\naF1.5\naS'a\\'b'\np1\naVx\\u20ac\np2\naL12345678901234567890L\nag1\na(dp3\nI5\nI00\nsa(I1\nI2\ntp4\na.",
  ),
  pk("cdatetime\ndatetime\np0\n(S'\\x07\\xe4\\x01\\x02\\x03\\x04\\x05\\x00\\x00\\x06'\np1\ntp2\nRp3\n."),
  pk("\x80\x02c__builtin__\nset\nq\x00]q\x01K\x01a\x85q\x02Rq\x03."),
  pk("\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00aq\x02K\x01s."),
  pk(
    "\x80\x02c_codecs\nencode\nq\x00X\x04\x00\x00\x00ab\xc3\xbfq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.",
  ),
];

type Mutation =
  | { kind: "flip"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "delete"; at: number; count: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 64 }),
  }),
);

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = [...seed];
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === "flip") bytes[at] = m.value;
    else if (m.kind === "insert") bytes.splice(at, 0, ...m.bytes);
    else if (m.kind === "delete") bytes.splice(at, m.count);
    else if (m.kind === "truncate") bytes = bytes.slice(0, at);
    else bytes.splice(at, 0, ...bytes.slice(at, at + m.count));
  }
  return Uint8Array.from(bytes);
}

/** Opcode-shaped noise: real opcodes, each followed by a few argument bytes, often small ones. */
const opcodes = Object.values(Op);
const opcodeSoup = fc
  .array(
    fc.tuple(
      fc.constantFrom(...opcodes),
      fc.array(
        fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }), fc.constant(0x0a)),
        {
          maxLength: 4,
        },
      ),
    ),
    { maxLength: 60 },
  )
  .map((ops) => Uint8Array.from([0x80, 4, ...ops.flatMap(([op, args]) => [op, ...args]), Op.STOP]));

/**
 * Programs of well-formed instructions (right argument sizes, small memo
 * indexes, allow-listed globals), so that many of them decode and the
 * stack, memo, dict and set rules get exercised, not just the parser.
 */
const ascii = fc.string({ unit: fc.constantFrom("a", "b", "x", "1"), maxLength: 4 });
const sbuOf = (s: string): number[] => [
  Op.SHORT_BINUNICODE,
  s.length,
  ...Array.from(s, (c) => c.charCodeAt(0)),
];
const bare = [
  Op.NONE,
  Op.NEWTRUE,
  Op.NEWFALSE,
  Op.EMPTY_LIST,
  Op.EMPTY_DICT,
  Op.EMPTY_SET,
  Op.EMPTY_TUPLE,
  Op.MARK,
  Op.TUPLE,
  Op.TUPLE1,
  Op.TUPLE2,
  Op.TUPLE3,
  Op.LIST,
  Op.DICT,
  Op.APPEND,
  Op.APPENDS,
  Op.SETITEM,
  Op.SETITEMS,
  Op.ADDITEMS,
  Op.FROZENSET,
  Op.POP,
  Op.POP_MARK,
  Op.DUP,
  Op.MEMOIZE,
  Op.REDUCE,
];
const globals = [
  ["datetime", "timedelta"],
  ["datetime", "timezone"],
  ["datetime", "date"],
  ["builtins", "set"],
  ["builtins", "frozenset"],
  ["builtins", "bytearray"],
  ["builtins", "tuple"],
  ["builtins", "list"],
  ["builtins", "dict"],
  ["builtins", "bytes"],
  ["collections", "OrderedDict"],
  ["_codecs", "encode"],
];
const instruction: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...bare).map((op) => [op]) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((n) => [Op.BININT1, n]) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
      .map((n) => [Op.BININT, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 9 }).map((b) => [Op.LONG1, b.length, ...b]) },
  {
    weight: 1,
    arbitrary: fc.double().map((f) => {
      const v = new DataView(new ArrayBuffer(8));
      v.setFloat64(0, f);
      return [Op.BINFLOAT, ...new Uint8Array(v.buffer)];
    }),
  },
  { weight: 3, arbitrary: ascii.map(sbuOf) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }).map((b) => [Op.SHORT_BINBYTES, b.length, ...b]) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }).map((n) => [Op.BINGET, n]) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }).map((n) => [Op.BINPUT, n]) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: -99, max: 99 })
      .map((n) => [Op.INT, ...Array.from(`${n}\n`, (c) => c.charCodeAt(0))]),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(...globals)
      .map(([m = "", n = ""]) => [...sbuOf(m), ...sbuOf(n), Op.STACK_GLOBAL]),
  },
);
const program = fc
  .array(instruction, { maxLength: 40 })
  .map((ops) => Uint8Array.from([0x80, 4, ...ops.flat(), Op.STOP]));

describe("encodePickle under fuzzing", () => {
  it("writes what decodePickle reads back equal, or refuses with INVALID_VALUE", () => {
    fc.assert(
      fc.property(dataArb, (value) => {
        let bytes: Uint8Array;
        try {
          bytes = encodePickle(value);
        } catch (err) {
          if (err instanceof AnykvError && err.code === "INVALID_VALUE") return;
          throw err;
        }
        expect(decodePickle(bytes)).toEqual(value);
      }),
      budget,
    );
  });
});

describe("decodePickle under fuzzing", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => decodesSafely(bytes)),
      budget,
    );
  });

  it("random bytes after a protocol header", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 256 }), (proto, rest) =>
        decodesSafely(Uint8Array.from([0x80, proto, ...rest])),
      ),
      budget,
    );
  });

  it("mutated valid pickles", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, mutations) => decodesSafely(mutate(seed, mutations)),
      ),
      budget,
    );
  });

  it("well-formed instruction sequences", () => {
    fc.assert(
      fc.property(program, (bytes) => decodesSafely(bytes)),
      budget,
    );
  });

  it("opcode soup", () => {
    fc.assert(
      fc.property(opcodeSoup, (bytes) => decodesSafely(bytes)),
      budget,
    );
  });
});
