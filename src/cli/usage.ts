import { InvalidArgumentError } from "commander";
import type { ModeName } from "../client/index.js";
import { parseDuration } from "../server/duration.js";

/**
 * A command line that cannot run as written (a missing or contradictory argument): the CLI
 * prints the message with a pointer to --help and exits 2, as commander does for its own
 * usage errors.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const DEFAULT_URL = "http://127.0.0.1:50051";

export const MODES: readonly ModeName[] = ["auto", "raw", "json", "pickle"];

/** A whole number from `min` up, for an option's argParser. */
export function wholeNumber(min = 0): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`Use a whole number${min > 0 ? ` of ${min} or more` : ""}.`);
    return n;
  };
}

/** A duration ("90", "90s", "500ms", "5m", "2h", "7d") in seconds, for TTLs. */
export function durationSeconds(text: string): number {
  try {
    return parseDuration(text) / 1000;
  } catch {
    throw new InvalidArgumentError("Use a number of seconds, or 500ms, 30s, 5m, 2h, 7d (0: never expire).");
  }
}

/**
 * The server's URL. A URL without a scheme ("127.0.0.1:50051", "localhost:50051") gets
 * http:// in front; anything else that is not an http(s) URL is an error that says how to
 * write one. Empty is the default (ANYKV_URL set to "" by a script).
 */
export function serverUrl(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return DEFAULT_URL; // ANYKV_URL= (set but empty) is unset
  const howTo = "Write it as http://HOST:PORT, e.g. http://127.0.0.1:50051 (https:// for TLS).";
  if (/^\d+$/.test(trimmed)) throw new InvalidArgumentError(`A port alone is not a URL. ${howTo}`);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(howTo);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidArgumentError(`anykv speaks http:// and https://, not ${url.protocol}//. ${howTo}`);
  if (url.hostname === "") throw new InvalidArgumentError(howTo);
  return withScheme;
}
