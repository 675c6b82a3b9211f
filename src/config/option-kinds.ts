import { parseDuration } from "../server/duration.js";

/**
 * How an option's value is written (a flag, an environment variable, a config file) and checked.
 * A kind's parse and check throw or return a phrase ("is not a whole number"); the caller puts
 * the option's name and where the value came from in front of it (option-sources.ts).
 */
export interface OptionKind<T> {
  /** Placeholder in help ("N", "DUR", "BYTES"); undefined for switches (booleans). */
  readonly arg: string | undefined;
  /** A flag may be given several times, each adding to the list. */
  readonly repeatable: boolean;
  /** The values there are, when they are a few words. */
  readonly choices?: readonly string[];
  /** Text of a flag or an environment variable to the value; throws a ValueError when it is not one. */
  parse(text: string): T;
  /** A config file's value (a YAML or JSON scalar or list) to the value; throws a ValueError. */
  fromFile(value: unknown): T;
  /** What is wrong with a value from any source (library calls too), or undefined. */
  check(value: T): string | undefined;
  /** The value as a person writes it (defaults in help). */
  format(value: T): string;
}

/** What a kind says about a value it cannot read; the option's name and source are added around it. */
export class ValueError extends Error {}

const fail = (why: string): never => {
  throw new ValueError(why);
};

/** Text from a config file: strings as they are, numbers as they would be typed. */
function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return fail(`is ${describe(value)}, not a string or a number`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

function range(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return min === 0 ? "0 or more" : `at least ${min}`;
  return `from ${min} to ${max}`;
}

/** A whole number from min to max. */
export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): OptionKind<number> {
  const parse = (text: string) => {
    if (!/^[-+]?\d+$/.test(text.trim())) fail(`"${text}" is not a whole number`);
    return Number(text);
  };
  return {
    arg: "N",
    repeatable: false,
    parse,
    fromFile: (value) => parse(scalarText(value)),
    check: (n) =>
      Number.isSafeInteger(n) && n >= min && n <= max ? undefined : `must be ${range(min, max)}`,
    format: String,
  };
}

const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A size in bytes: 4194304, 64KiB, 4MiB, 1GiB. */
export function bytes(min = 0, max = Number.MAX_SAFE_INTEGER): OptionKind<number> {
  const parse = (text: string) => {
    const match = /^(\d+)\s*(b|kib|mib|gib)?$/i.exec(text.trim());
    if (!match) return fail(`"${text}" is not a size: use a number of bytes or 64KiB, 4MiB, 1GiB`);
    return Number(match[1]) * (BYTE_UNITS[(match[2] ?? "b").toLowerCase()] ?? 1);
  };
  return {
    arg: "BYTES",
    repeatable: false,
    parse,
    fromFile: (value) => parse(scalarText(value)),
    check: (n) =>
      Number.isSafeInteger(n) && n >= min && n <= max ? undefined : `must be ${range(min, max)} bytes`,
    format(n) {
      for (const [unit, size] of [
        ["GiB", 1024 ** 3],
        ["MiB", 1024 ** 2],
        ["KiB", 1024],
      ] as const)
        if (n >= size && n % size === 0) return `${n / size}${unit}`;
      return String(n);
    },
  };
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** parseDuration (src/server/duration.ts), its complaint as a ValueError. */
function readDuration(text: string, bare: "s" | "ms"): number {
  try {
    return parseDuration(text, bare);
  } catch (err) {
    throw new ValueError((err as Error).message);
  }
}

/** A duration in milliseconds, written 90 (seconds, or milliseconds when `bare` says), 500ms, 30s, 5m, 2h or 1d. */
export function duration(minMs = 0, bare: "s" | "ms" = "s"): OptionKind<number> {
  const parse = (text: string) => readDuration(text, bare);
  return {
    arg: "DUR",
    repeatable: false,
    parse,
    fromFile: (value) => parse(scalarText(value)),
    check: (ms) =>
      Number.isSafeInteger(ms) && ms >= minMs
        ? undefined
        : minMs === 0
          ? "must not be negative"
          : `must be at least ${minMs}ms`,
    format(ms) {
      if (ms === 0) return "0";
      for (const unit of ["d", "h", "m", "s"] as const) {
        const size = DURATION_UNITS[unit] ?? 1;
        if (ms % size === 0) return `${ms / size}${unit}`;
      }
      return `${ms}ms`;
    },
  };
}

const TRUE = ["true", "1", "yes"];
const FALSE = ["false", "0", "no"];

/** On or off: a switch on the command line (--x, --no-x); true/false/1/0/yes/no elsewhere. */
export function boolean(): OptionKind<boolean> {
  const parse = (text: string) => {
    const word = text.trim().toLowerCase();
    if (TRUE.includes(word)) return true;
    if (FALSE.includes(word)) return false;
    return fail(`"${text}" is not a boolean: use true, false, 1, 0, yes or no`);
  };
  return {
    arg: undefined,
    repeatable: false,
    parse,
    fromFile: (value) => (typeof value === "boolean" ? value : parse(scalarText(value))),
    check: (value) => (typeof value === "boolean" ? undefined : "must be true or false"),
    format: (value) => (value ? "on" : "off"),
  };
}

/** One of a few words. */
export function oneOf<const T extends string>(choices: readonly T[], arg = "NAME"): OptionKind<T> {
  const check = (value: string) =>
    (choices as readonly string[]).includes(value) ? undefined : `must be ${listWords(choices)}`;
  const parse = (text: string): T => {
    const why = check(text);
    if (why) fail(`"${text}" ${why.replace("must be", "is not")}`);
    return text as T;
  };
  return {
    arg,
    repeatable: false,
    choices,
    parse,
    fromFile: (value) => parse(scalarText(value)),
    check,
    format: String,
  };
}

function listWords(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** A check of text options that need some text. */
export const nonEmpty = (value: string) => (value === "" ? "must not be empty" : undefined);

/** Free text, with a check of its own. */
export function text(arg: string, check: (value: string) => string | undefined = () => undefined) {
  const kind: OptionKind<string> = {
    arg,
    repeatable: false,
    parse: (value) => value,
    fromFile: (value) => scalarText(value),
    check: (value) => (typeof value === "string" ? check(value) : "must be a string"),
    format: (value) => (value === "" ? '""' : value),
  };
  return kind;
}

/**
 * A list: a flag given several times and/or comma-separated, a comma-separated environment
 * variable, a list (or a comma-separated string) in a config file.
 */
export function list(arg: string, checkItem: (item: string) => string | undefined = () => undefined) {
  const split = (value: string) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  const kind: OptionKind<readonly string[]> = {
    arg,
    repeatable: true,
    parse: split,
    fromFile: (value) =>
      Array.isArray(value) ? value.flatMap((item) => split(scalarText(item))) : split(scalarText(value)),
    check(items) {
      if (!Array.isArray(items)) return "must be a list of strings";
      for (const item of items) {
        const why = typeof item === "string" ? checkItem(item) : "must hold strings only";
        if (why) return why;
      }
      return undefined;
    },
    format: (items) => (items.length === 0 ? "none" : items.join(",")),
  };
  return kind;
}
