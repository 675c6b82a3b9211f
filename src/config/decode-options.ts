import { defaultDecodePoolOptions } from "../server/decode/decode-pool.js";
import { option, optionGroup } from "./option.js";
import { bytes, duration, integer } from "./option-kinds.js";

/** Bounds on what reading a stored value may cost (pickle limits), and where it is decoded. */
export const decodeOptions = optionGroup("Decoding", {
  /**
   * Most payload bytes (str, bytes, big ints; shared references counted each time) that a stored
   * value may decode to per byte of its stored form, past the first MiB; RESOURCE_EXHAUSTED beyond.
   */
  maxDecodeExpansion: option({
    flag: "max-decode-expansion",
    kind: integer(1),
    default: 64,
    help: "payload bytes a stored value may decode to per stored byte (past the first MiB)",
  }),
  /** Most payload bytes one stored value may decode to, whatever its size; RESOURCE_EXHAUSTED beyond. */
  maxDecodeBytes: option({
    flag: "max-decode-bytes",
    kind: bytes(1),
    default: 256 * 1024 * 1024,
    help: "payload bytes one stored value may decode to",
  }),
  /**
   * Most values (containers and scalars, shared references counted each time) that one stored
   * value may decode to; RESOURCE_EXHAUSTED beyond.
   */
  maxDecodeNodes: option({
    flag: "max-decode-nodes",
    kind: integer(1),
    default: 2_000_000,
    help: "values one stored value may decode to",
  }),
  /**
   * Most decimal digits of an int, read or written (decimal conversion costs time quadratic in
   * the digits; 4300 is CPython's own limit); RESOURCE_EXHAUSTED beyond.
   */
  maxIntDigits: option({
    flag: "max-int-digits",
    kind: integer(1),
    default: 4300,
    help: "decimal digits of an int, read or written",
  }),
  /** Threads that decode large stored values off the event loop; 0 decodes every value on it. */
  decodeThreads: option({
    flag: "decode-threads",
    kind: integer(0, 64),
    default: defaultDecodePoolOptions.threads,
    defaultText: "cores - 1 (1 to 4)",
    help: "threads decoding large values (0: all on the event loop)",
  }),
  /** Stored values up to this many bytes (decoding to at most 20,000 values) decode on the event loop. */
  decodeInlineBytes: option({
    flag: "decode-inline-bytes",
    kind: bytes(0),
    default: defaultDecodePoolOptions.inlineBytes,
    help: "values up to this size decode on the event loop",
  }),
  /** Most time one decode may run on a decode thread; past it the thread is stopped (RESOURCE_EXHAUSTED). */
  maxDecodeMs: option({
    flag: "max-decode-ms",
    kind: duration(1, "ms"),
    default: defaultDecodePoolOptions.budgetMs,
    help: "time one decode may take on a thread before it is stopped (a bare number is milliseconds)",
  }),
  /** Most decodes waiting for a thread; RESOURCE_EXHAUSTED beyond. */
  maxDecodeQueue: option({
    flag: "max-decode-queue",
    kind: integer(1),
    default: defaultDecodePoolOptions.maxQueue,
    help: "decodes waiting for a thread",
  }),
});
