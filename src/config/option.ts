import type { OptionKind } from "./option-kinds.js";

/**
 * One server option, declared once: its flag, environment variable, config file key, default,
 * help and checks. The serve command, the config file reader, resolveServerOptions (the library
 * API) and the help text are all made from these (option-table.ts).
 */
export interface OptionSpec<T> {
  /**
   * The flag without its dashes ("max-key-bytes"); it is also the option's key in a config file.
   * Switches (booleans) get --flag and --no-flag.
   */
  readonly flag: string;
  /** The environment variable: ANYKV_ and the flag in upper snake case unless given. */
  readonly env: string;
  readonly kind: OptionKind<T>;
  readonly default: T;
  /** The default of `anykv serve` when it differs from the library's (startServer). */
  readonly serveDefault: T | undefined;
  /** The default as help shows it, when the value alone does not say it (computed defaults). */
  readonly defaultText: string | undefined;
  /** A line (or a few) for `anykv serve --help`; a switch's says what the flag that changes its default does. */
  readonly help: string;
  /** A check beyond the kind's (a pattern, a bound): what is wrong, or undefined. */
  check(value: T): string | undefined;
  /** Other flags that set a value (kept so that old command lines run): flag → value. */
  readonly aliases: Readonly<Record<string, T>>;
  /** The section of --help the option is listed in. */
  readonly group: string;
}

/** What an option says of itself; option() fills in the rest. */
export interface OptionInit<T> {
  readonly flag: string;
  readonly env?: string;
  readonly kind: OptionKind<T>;
  readonly default: NoInfer<T>;
  readonly serveDefault?: NoInfer<T>;
  readonly defaultText?: string;
  readonly help: string;
  readonly check?: (value: NoInfer<T>) => string | undefined;
  readonly aliases?: Readonly<Record<string, NoInfer<T>>>;
}

/** Declares an option; optionGroup() says which section of --help lists it. */
export function option<T>(init: OptionInit<T>): OptionSpec<T> {
  const check = init.check;
  return {
    flag: init.flag,
    env: init.env ?? `ANYKV_${init.flag.toUpperCase().replaceAll("-", "_")}`,
    kind: init.kind,
    default: init.default,
    serveDefault: init.serveDefault,
    defaultText: init.defaultText,
    help: init.help,
    check: (value) => check?.(value),
    aliases: init.aliases ?? {},
    group: "",
  };
}

/** Options listed under one heading of --help. */
export function optionGroup<const Options extends Record<string, OptionSpec<unknown>>>(
  group: string,
  options: Options,
): Options {
  for (const spec of Object.values(options)) (spec as { group: string }).group = group;
  return options;
}

/** The values an option table describes: { key: value }. */
export type OptionValues<Table> = {
  readonly [K in keyof Table]: Table[K] extends OptionSpec<infer T> ? T : never;
};
