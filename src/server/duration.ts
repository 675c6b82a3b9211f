// Durations on their own, so that the CLI's client commands parse --ttl without loading the
// server's modules.

/** Parses "90", "90s", "500ms", "5m", "2h", "1d" to milliseconds (a bare number is seconds). */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match)
    throw new RangeError(`invalid duration "${text}": use a number of seconds or 500ms, 30s, 5m, 2h, 1d`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? "s"] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}
