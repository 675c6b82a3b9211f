import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger } from "pino";

/** The levels of --log-level, most severe first; "silent" writes nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/** Where and how the server logs. */
export interface LoggerOptions {
  readonly level: LogLevel;
  /**
   * Human-readable lines instead of JSON.
   * @default whether stdout is a terminal
   */
  readonly pretty?: boolean;
  /**
   * Where lines go.
   * @default stdout, written asynchronously
   */
  readonly destination?: DestinationStream;
}

/**
 * The server's logger: pino JSON lines on stdout (one object per line, `level` as a number,
 * `time` in epoch milliseconds, `msg`), or pino-pretty's form when stdout is a terminal.
 * Stdout is written asynchronously: lines that come while a write is under way go out together
 * in the next one (under load, one system call for many access lines), and pino flushes what
 * is left when the process exits.
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { pid: process.pid } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty ?? process.stdout.isTTY === true)
    return pino(base, pretty({ colorize: true, destination: 1, sync: true }));
  return pino(base, pino.destination({ dest: 1, sync: false }));
}

/** A logger that writes nothing (the library's servers when the caller gives none). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
