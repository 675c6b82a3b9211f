import { option, optionGroup } from "./option.js";
import { bytes, duration, integer } from "./option-kinds.js";

/** What Watch keeps for clients that resume or read slowly. */
export const watchOptions = optionGroup("Watch", {
  /** Most recent change events kept for Watch clients that resume; older revisions answer OUT_OF_RANGE. */
  watchRetention: option({
    flag: "watch-retention",
    kind: integer(0),
    default: 10_000,
    help: "change events kept for Watch clients that resume",
  }),
  /** Oldest change event kept for resuming watches, in milliseconds. */
  watchRetentionMs: option({
    flag: "watch-retention-age",
    kind: duration(),
    default: 3_600_000,
    help: "oldest change event kept for them",
  }),
  /**
   * A Watch that was sent nothing for this long while other keys changed gets a progress
   * notification, so that its client's resume point moves on; 0 for none.
   */
  watchProgressMs: option({
    flag: "watch-progress-interval",
    kind: duration(),
    default: 10_000,
    help: "send a quiet Watch a progress notification this often (0: never)",
  }),
  /** Most bytes of values the watch ring keeps (it holds the written values by reference). */
  watchRetentionBytes: option({
    flag: "watch-retention-bytes",
    kind: bytes(0),
    default: 64 * 1024 * 1024,
    help: "most bytes of values the kept events hold",
  }),
  /**
   * Most bytes a server stream may hold for a client that does not read: events waiting for a
   * Watch client (RESOURCE_EXHAUSTED beyond, naming the revision to resume from).
   */
  maxStreamBufferBytes: option({
    flag: "max-stream-buffer-bytes",
    kind: bytes(1),
    default: 4 * 1024 * 1024,
    help: "bytes a stream holds for a client that does not read (Watch events)",
  }),
});
