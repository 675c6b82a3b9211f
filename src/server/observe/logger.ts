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
  const logger = options.destination
    ? pino(base, options.destination)
    : (options.pretty ?? process.stdout.isTTY === true)
      ? pino(base, pretty({ colorize: true, destination: 1, sync: true }))
      : pino(base, stdoutLines());
  plainLoggers.add(logger);
  return logger;
}

/** Loggers made by createLogger: no serializers, formatters, hooks or mixin, so lineWriter knows their lines. */
const plainLoggers = new WeakSet<Logger>();

/** Writes one line, as `logger[level](fields, msg)` does. */
export type LineWriter = (level: "info" | "debug", fields: object, msg: string) => void;

/**
 * The writer of a line written on every call (the access log). For a logger of createLogger's it
 * builds pino's own line (its level and time prefix, its bindings, the fields, the message)
 * with one JSON.stringify of the fields, and hands it to the logger's destination: pino's
 * general serializer, walking the fields one by one, cost two to three times as much per line
 * (bench/README, "Issue 9, eighth pass"). Any other logger (one a library user passes to
 * startServer, which may have serializers, formatters or hooks) writes through pino, and so does
 * one whose destination reads pino's metadata of each line (the pretty form's).
 */
export function lineWriter(logger: Logger): LineWriter {
  const own = logger as unknown as Record<symbol, unknown>;
  const { lsCacheSym, timeSym, chindingsSym, messageKeySym, endSym, streamSym, needsMetadataGsym } =
    pino.symbols;
  const stream = own[streamSym] as DestinationStream & Record<symbol, unknown>;
  // A destination that reads pino's metadata of each line (pino-pretty's, multistream) gets it from pino.
  if (!plainLoggers.has(logger) || stream[needsMetadataGsym] === true)
    return (level, fields, msg) => logger[level](fields, msg);
  const levels = own[lsCacheSym] as Record<number, string>; // '{"level":30'
  const prefixes = {
    info: levels[logger.levels.values.info as number],
    debug: levels[logger.levels.values.debug as number],
  };
  const time = own[timeSym] as () => string; // ',"time":1796000000000'
  const bindings = own[chindingsSym] as string; // ',"pid":123'
  const messageKey = JSON.stringify(own[messageKeySym]);
  const end = own[endSym] as string; // '}\n'
  return (level, fields, msg) => {
    const json = JSON.stringify(fields);
    const props = json.length > 2 ? `,${json.slice(1, -1)}` : "";
    stream.write(`${prefixes[level]}${time()}${bindings}${props},${messageKey}:${JSON.stringify(msg)}${end}`);
  };
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
