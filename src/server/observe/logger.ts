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
   * @default stdout, written asynchronously (stdoutLines)
   */
  readonly destination?: DestinationStream;
}

/**
 * The server's logger: pino JSON lines on stdout (one object per line, `level` as a number,
 * `time` in epoch milliseconds, `msg`), or pino-pretty's form when stdout is a terminal.
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { pid: process.pid } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty ?? process.stdout.isTTY === true)
    return pino(base, pretty({ colorize: true, destination: 1, sync: true }));
  return pino(base, stdoutLines());
}

let stdout: DestinationStream | undefined;

/**
 * Stdout for log lines, one per process: the lines of one turn of the event loop are joined and
 * handed to pino's asynchronous destination (sonic-boom) once, in setImmediate. sonic-boom
 * measures its whole pending buffer on every write, which made a line cost several microseconds
 * under load; appending to a string costs tens of nanoseconds. What is pending when the process
 * exits is written synchronously.
 */
export function stdoutLines(): DestinationStream {
  if (stdout) return stdout;
  const sonic = pino.destination({ dest: 1, sync: false });
  let pending = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === "") return;
    const lines = pending;
    pending = "";
    sonic.write(lines);
  };
  process.on("exit", () => {
    flush();
    sonic.flushSync();
  });
  stdout = {
    write(line: string) {
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
  return stdout;
}

/** A logger that writes nothing (the library's servers when the caller gives none). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
