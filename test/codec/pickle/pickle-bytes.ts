import { decodePickle, type PickleLimits } from "../../../src/codec/pickle/index.js";
import { AnykvError } from "../../../src/errors.js";

/**
 * Hand-made pickles for the reader tests: strings are taken as Latin-1 (one
 * char, one byte), so "\x80\x04N." reads like the bytes it is.
 */
export function pk(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === "string" ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p),
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export const u32 = (n: number): number[] => [
  n & 0xff,
  (n >>> 8) & 0xff,
  (n >>> 16) & 0xff,
  (n >>> 24) & 0xff,
];
export const u64 = (n: bigint): number[] =>
  Array.from({ length: 8 }, (_, k) => Number((n >> BigInt(8 * k)) & 0xffn));

/** SHORT_BINUNICODE of `s` (ASCII). */
export const sbu = (s: string): string => `\x8c${String.fromCharCode(s.length)}${s}`;

/**
 * Decodes `bytes`, expecting a DECODE_FAILED (or `code`) AnykvError within `withinMs`;
 * returns its message. Anything else (success, another error type) fails.
 */
export function refusedWith(
  bytes: Uint8Array,
  limits?: Partial<PickleLimits>,
  withinMs = 2000,
  code: "DECODE_FAILED" | "LIMIT_EXCEEDED" = "DECODE_FAILED",
): string {
  const started = performance.now();
  try {
    decodePickle(bytes, limits);
  } catch (err) {
    const took = performance.now() - started;
    if (!(err instanceof AnykvError)) throw new Error(`threw a non-AnykvError: ${String(err)}`);
    if (err.code !== code) throw new Error(`threw ${err.code}: ${err.message}`);
    if (took > withinMs) throw new Error(`took ${took.toFixed(0)} ms to refuse: ${err.message}`);
    return err.message;
  }
  throw new Error("decodePickle accepted it");
}

/** Decodes `bytes`, expecting LIMIT_EXCEEDED (a budget, RESOURCE_EXHAUSTED) within `withinMs`; returns its message. */
export function exceededWith(bytes: Uint8Array, limits?: Partial<PickleLimits>, withinMs = 2000): string {
  return refusedWith(bytes, limits, withinMs, "LIMIT_EXCEEDED");
}
