import pino from "pino";
import type { Logger, LogLevel } from "../../src/server/observe/logger.js";

/** A parsed pino line. */
export interface LogLine {
  readonly level: number;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/** A logger whose lines are kept in memory, parsed, for a test to read. */
export interface LogCapture {
  readonly logger: Logger;
  lines(): LogLine[];
  /** Lines at error level or above (internal errors, background failures). */
  errors(): LogLine[];
  clear(): void;
}

/** pino's numeric levels. */
export const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

export function captureLogs(level: LogLevel = "warn"): LogCapture {
  let lines: LogLine[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  return {
    logger: pino({ level }, destination),
    lines: () => lines,
    errors: () => lines.filter((l) => l.level >= LEVEL.error),
    clear() {
      lines = [];
    },
  };
}
