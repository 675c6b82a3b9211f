import { Redis, type RedisOptions } from "ioredis";
import { AnykvError } from "../errors.js";
import { redactUrl } from "./redact-url.js";

/**
 * How the Redis backend talks to Redis: ioredis, with no offline queue and no retried commands,
 * so that a call made while Redis is unreachable fails at once with UNAVAILABLE instead of
 * waiting (a write that might be applied twice is never resent), while ioredis keeps
 * reconnecting in the background, every second at most, for as long as the backend is open.
 */
const CONNECTION = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times: number) => Math.min(times * 100, 1000),
  connectTimeout: 5000,
} satisfies RedisOptions;

/** Opens a connection to the Redis at `url`; UNAVAILABLE, naming the URL without its password, when it cannot. */
export async function connectRedis(url: string, name: string): Promise<Redis> {
  const redis = new Redis(url, { ...CONNECTION, connectionName: name });
  // ioredis reports every failed reconnect as an "error" event; the calls that fail report it too.
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (cause) {
    redis.disconnect();
    throw new AnykvError("UNAVAILABLE", `cannot reach Redis at ${redactUrl(url)}: ${messageOf(cause)}`, {
      cause,
    });
  }
  return redis;
}

/**
 * An error of a Redis call as anykv reports it: connection trouble (refused, reset, timed out,
 * not connected, Redis loading or read-only after a failover) is UNAVAILABLE; anything else
 * (a bug in a script, an out-of-memory Redis) stays what it is, an internal error.
 */
export function redisError(cause: unknown, closed: boolean): unknown {
  if (closed) return new AnykvError("UNAVAILABLE", "the Redis backend is closed", { cause });
  if (cause instanceof AnykvError) return cause;
  const message = messageOf(cause);
  const reply = cause instanceof Error && cause.name === "ReplyError";
  if (!reply || /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|BUSY)\b/.test(message))
    return new AnykvError("UNAVAILABLE", `Redis is unavailable: ${message}`, { cause });
  return cause;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
