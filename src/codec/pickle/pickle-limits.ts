import { AnykvError } from "../../errors.js";

/**
 * Bounds on what decodePickle materialises. A pickle can describe far more
 * than its own size (memo references repeat a value without copying it), so
 * the counts are of the value as a consumer sees it: every shared reference
 * counts again.
 */
export interface PickleLimits {
  /**
   * Deepest container nesting in the decoded value.
   * @default 1000 (CPython's default recursion limit, so Python can re-pickle what we accept)
   */
  readonly maxDepth: number;
  /**
   * Most values (containers and scalars) in the decoded value, counting each shared reference again
   * (the server's `--max-decode-nodes`).
   * @default 2_000_000
   */
  readonly maxItems: number;
  /**
   * Most payload in the decoded value: str length in UTF-16 units, bytes and bytearray
   * lengths, and the size of ints beyond 64 bits, counting each shared reference again
   * (the server's `--max-decode-bytes`).
   * @default 268_435_456 (256 MiB)
   */
  readonly maxBytes: number;
  /**
   * Most payload (as maxBytes counts it) per byte of pickle, past the first EXPANSION_ALLOWANCE
   * bytes: a small pickle that references one big str many times is refused long before maxBytes
   * (the server's `--max-decode-expansion`).
   * @default 64
   */
  readonly maxExpansion: number;
  /**
   * Most decimal digits of an int. Converting an int to decimal (the wire's and JSON's form)
   * costs time quadratic in its digits; 4300 is CPython's own limit for int/str conversion
   * (the server's `--max-int-digits`).
   * @default 4300
   */
  readonly maxIntDigits: number;
  /**
   * Most memo entries the pickle may define.
   * @default 10_000_000
   */
  readonly maxMemo: number;
}

export const defaultPickleLimits: PickleLimits = Object.freeze({
  maxDepth: 1000,
  maxItems: 2_000_000,
  maxBytes: 256 * 1024 * 1024,
  maxExpansion: 64,
  maxIntDigits: 4300,
  maxMemo: 10_000_000,
});

/** Payload any pickle may expand to, whatever its size (so that tiny values are never refused by ratio). */
export const EXPANSION_ALLOWANCE = 1024 * 1024;

/**
 * The server flag that raises each limit, named in LIMIT_EXCEEDED messages so that an operator
 * knows what to change. (The codec does not read flags; it only names them.)
 */
export const LIMIT_FLAGS = Object.freeze({
  maxItems: "--max-decode-nodes",
  maxBytes: "--max-decode-bytes",
  maxExpansion: "--max-decode-expansion",
  maxIntDigits: "--max-int-digits",
} as const);

/** Merges `partial` over the defaults; a limit must be a positive integer. */
export function resolvePickleLimits(partial: Partial<PickleLimits> = {}): PickleLimits {
  const limits = { ...defaultPickleLimits, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new AnykvError(
        "INVALID_ARGUMENT",
        `pickle limit ${name} must be a positive integer, got ${value}`,
      );
    }
  }
  return limits;
}
