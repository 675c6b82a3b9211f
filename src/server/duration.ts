// Durations on their own, so that the CLI's client commands parse --ttl without loading the
// server's modules; the option table's durations (src/config/option-kinds.ts) parse here too.

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses "90", "90s", "500ms", "5m", "2h", "1d" to milliseconds; a bare number is in `bare` units
 * (seconds unless said). A RangeError says what to write instead.
 */
export function parseDuration(text: string, bare: "s" | "ms" = "s"): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match)
    throw new RangeError(
      `"${text}" is not a duration: use a number of ${bare === "s" ? "seconds" : "milliseconds"} or 500ms, 30s, 5m, 2h, 1d`,
    );
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? bare] ?? 1000));
}
