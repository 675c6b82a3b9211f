import { ConfigError } from "./config-error.js";
import { readConfigFile } from "./config-file.js";
import { ValueError } from "./option-kinds.js";
import { type ServerOptionKey, type ServerOptions, serverOptionSpecs } from "./option-table.js";
import { type OptionSources, resolveServerOptions } from "./resolve-server-options.js";

/** A flag's value as the command line gave it: text, texts of a repeated flag, or a switch. */
export type FlagValue = string | readonly string[] | boolean;

/** What start-up reads options from. */
export interface ConfigInputs {
  /** Flags given on the command line, by option key. */
  readonly flags: Partial<Record<ServerOptionKey, FlagValue>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** --config FILE, if given (the environment's ANYKV_CONFIG is read when it is not). */
  readonly configFile?: string | undefined;
}

/** The environment variable naming a config file when --config is not given. */
export const CONFIG_ENV = "ANYKV_CONFIG";

/**
 * The server's options from flags, then the environment, then a config file, then the defaults,
 * checked (resolveServerOptions). Every error names the option and where its value came from.
 */
export function loadServerOptions(inputs: ConfigInputs): ServerOptions {
  const path = inputs.configFile ?? (inputs.env[CONFIG_ENV] || undefined);
  const file = path === undefined ? {} : readConfigFile(path);
  const fileKeys = new Map(serverOptionSpecs.map(([key, spec]) => [spec.flag, key]));
  for (const name of Object.keys(file)) {
    if (!fileKeys.has(name)) throw new ConfigError(`${path} has an unknown option "${name}"${hint(name)}`);
  }
  const options: Partial<Record<ServerOptionKey, unknown>> = {};
  const sources: OptionSources = {};
  for (const [key, spec] of serverOptionSpecs) {
    const flag = inputs.flags[key];
    const envText = inputs.env[spec.env];
    let where: string;
    let read: () => unknown;
    if (flag !== undefined) {
      where = `--${spec.flag} (command line)`;
      read = () =>
        typeof flag === "boolean"
          ? flag
          : typeof flag === "string"
            ? spec.kind.parse(flag)
            : flag.flatMap((text) => spec.kind.parse(text) as never);
    } else if (envText !== undefined) {
      where = `${spec.env} (environment, for --${spec.flag})`;
      read = () => spec.kind.parse(envText);
    } else if (Object.hasOwn(file, spec.flag)) {
      where = `${spec.flag} in ${path} (for --${spec.flag})`;
      read = () => spec.kind.fromFile(file[spec.flag]);
    } else {
      // What `anykv serve` takes when nothing says (e.g. --log-level info; the library: warn).
      if (spec.serveDefault !== undefined) options[key] = spec.serveDefault;
      continue;
    }
    try {
      options[key] = read();
    } catch (err) {
      if (err instanceof ValueError) throw new ConfigError(`${where}: ${err.message}`);
      throw err;
    }
    sources[key] = where;
  }
  return resolveServerOptions(options as Partial<ServerOptions>, sources);
}

/** "did you mean max-key-bytes?" for a camelCase or snake_case spelling of a flag name. */
function hint(name: string): string {
  const kebab = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replaceAll("_", "-")
    .toLowerCase();
  const known = serverOptionSpecs.find(([key, spec]) => spec.flag === kebab || key === name);
  return known ? `; the key is "${known[1].flag}"` : "; keys are the flags' names, as in anykv serve --help";
}
