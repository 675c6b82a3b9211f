import { connectionOptions } from "./connection-options.js";
import { decodeOptions } from "./decode-options.js";
import { listenOptions } from "./listen-options.js";
import { observeOptions } from "./observe-options.js";
import type { OptionSpec, OptionValues } from "./option.js";
import { securityOptions } from "./security-options.js";
import { storageOptions } from "./storage-options.js";
import { valueOptions } from "./value-options.js";
import { watchOptions } from "./watch-options.js";

/**
 * Every option of `anykv serve`, each declared once (option.ts): the flag, the environment
 * variable, the config file key, the default, the help and the checks all come from here. To add
 * an option, add one entry to a group (or a group here); ServerOptions, the defaults, the serve
 * command, --config files and --help follow.
 */
export const serverOptionTable = {
  ...listenOptions,
  ...securityOptions,
  ...storageOptions,
  ...valueOptions,
  ...watchOptions,
  ...decodeOptions,
  ...connectionOptions,
  ...observeOptions,
};

/** Everything a server can be told (serverOptionTable); resolveServerOptions checks it once. */
export type ServerOptions = OptionValues<typeof serverOptionTable>;

export type ServerOptionKey = keyof ServerOptions;

/** The table's entries as a list, in table order. */
export const serverOptionSpecs = Object.entries(serverOptionTable) as [
  ServerOptionKey,
  OptionSpec<unknown>,
][];

/** Every option's default. */
export const defaultServerOptions: ServerOptions = Object.freeze(
  Object.fromEntries(serverOptionSpecs.map(([key, spec]) => [key, spec.default])) as ServerOptions,
);
