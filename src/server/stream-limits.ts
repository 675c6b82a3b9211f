import type { Interceptor } from "@connectrpc/connect";
import { AnykvError } from "../errors.js";

/** Most server streams open at once, across all connections; see ServerOptions. */
export interface StreamLimits {
  /** ListKeys, ListValues, Stream and Download. */
  readonly maxListingStreams: number;
  /** Watch (anykv's, and grpc.health.v1.Health's). */
  readonly maxWatchStreams: number;
}

type StreamKind = "listing" | "watch";
/** What an interceptor wraps, and the request it is called with. */
type Next = Parameters<Interceptor>[0];
type Intercepted = Parameters<Next>[0];

const FLAGS: Readonly<Record<StreamKind, string>> = {
  listing: "--max-listing-streams",
  watch: "--max-watch-streams",
};

/**
 * Counts the open server-streaming calls, whatever connection they came on, and refuses one past
 * its limit with RESOURCE_EXHAUSTED naming the limit and its flag. Watches and listings count
 * apart: watches stay open for as long as clients care, and must not starve listings. A slot is
 * freed when the stream ends, fails, or its client goes away.
 */
export function createStreamLimiter(limits: StreamLimits): Interceptor {
  const open: Record<StreamKind, number> = { listing: 0, watch: 0 };
  const max: Readonly<Record<StreamKind, number>> = {
    listing: limits.maxListingStreams,
    watch: limits.maxWatchStreams,
  };
  // Unary and client-streaming calls pass straight through: no async frame of their own.
  return (next) => (req) => (req.method.methodKind === "server_streaming" ? limited(next, req) : next(req));

  async function limited(next: Next, req: Intercepted) {
    const kind: StreamKind = req.method.name === "Watch" ? "watch" : "listing";
    if (open[kind] >= max[kind])
      throw new AnykvError(
        "LIMIT_EXCEEDED",
        `too many open ${kind} streams: this server allows ${max[kind]} at once (${FLAGS[kind]}); retry later`,
      );
    open[kind]++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      open[kind]--;
      req.signal.removeEventListener("abort", release);
    };
    req.signal.addEventListener("abort", release);
    try {
      const res = await next(req);
      if (!res.stream) {
        release();
        return res;
      }
      return { ...res, message: releasing(res.message, release) };
    } catch (err) {
      release();
      throw err;
    }
  }
}

async function* releasing<T>(messages: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  try {
    yield* messages;
  } finally {
    release();
  }
}
