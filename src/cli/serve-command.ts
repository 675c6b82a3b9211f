import { Command, Option } from "commander";
import type { OptionSpec } from "../config/option.js";
import { CONFIG_ENV, type FlagValue, loadServerOptions } from "../config/option-sources.js";
import { type ServerOptionKey, type ServerOptions, serverOptionSpecs } from "../config/option-table.js";
import { startServer } from "../server/server.js";
import { isServeWorker, reportListening, servePrimary } from "./serve-workers.js";

/**
 * `anykv serve`: its flags, help and checks all come from the option table
 * (src/config/option-table.ts); this file only hands them to commander and starts the server.
 */
export function createServeCommand(): Command {
  const command = new Command("anykv serve")
    .description("run the anykv server (gRPC, gRPC-Web and Connect on one port)")
    .allowExcessArguments(false)
    .addHelpText(
      "after",
      "\nPrecedence: flags, then environment variables, then the --config file, then the defaults.\n" +
        "Durations: 90 (seconds), 500ms, 30s, 5m, 2h, 1d. Sizes: 4194304, 64KiB, 4MiB, 1GiB.\n" +
        "Switches in the environment and config files: true, false, 1, 0, yes or no.\n",
    );
  addServerOptions(command);
  command.action(async () => {
    await run(serverOptionsOf(command, process.env));
  });
  return command;
}

/** Adds --config and one flag per option of the table (two for a switch: --x and --no-x). */
export function addServerOptions(command: Command): Command {
  command.addOption(
    new Option(
      "--config <FILE>",
      `read options from a JSON or YAML file whose keys are the flags' names [env ${CONFIG_ENV}]`,
    ),
  );
  for (const [, spec] of serverOptionSpecs) {
    for (const option of flagsOf(spec)) command.addOption(option.helpGroup(`${spec.group}:`));
  }
  return command;
}

/** The options a parsed command was given, over the environment, the --config file and the defaults. */
export function serverOptionsOf(command: Command, env: NodeJS.ProcessEnv): ServerOptions {
  const values = command.opts<Record<string, unknown>>();
  const given = (attribute: string) => command.getOptionValueSource(attribute) === "cli";
  const flags: Partial<Record<ServerOptionKey, FlagValue>> = {};
  for (const [key, spec] of serverOptionSpecs) {
    const attribute = attributeOf(spec.flag);
    if (given(attribute)) flags[key] = values[attribute] as FlagValue;
    for (const [alias, value] of Object.entries(spec.aliases)) {
      // An alias "no-code" is commander's negation of "code".
      if (given(attributeOf(alias.replace(/^no-/, "")))) flags[key] = value as FlagValue;
    }
  }
  const configFile = given("config") ? String(values.config) : undefined;
  return loadServerOptions({ flags, env, configFile });
}

/** The options of `anykv serve ARGV` (without starting anything): for tests and tools. */
export function serveOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ServerOptions {
  const command = addServerOptions(new Command("serve").exitOverride().allowExcessArguments(false));
  command.parse([...argv], { from: "user" });
  return serverOptionsOf(command, env);
}

/** Runs `anykv serve` with ARGV (the command line after "serve"). */
export async function serve(argv: readonly string[]): Promise<void> {
  await createServeCommand().parseAsync([...argv], { from: "user" });
}

function flagsOf(spec: OptionSpec<unknown>): Option[] {
  const env = `env ${spec.env}`;
  const shown = spec.defaultText ?? spec.kind.format(spec.default);
  if (spec.kind.arg === undefined) {
    // A switch shows the flag that changes the default (its help says what that flag does); the
    // other is accepted too.
    const help = `${spec.help} [${env}=true|false; default ${shown}]`;
    const on = new Option(`--${spec.flag}`, help);
    const off = new Option(`--no-${spec.flag}`, help);
    const aliases = Object.keys(spec.aliases).map((alias) => new Option(`--${alias}`).hideHelp());
    return [
      spec.default === true ? on.hideHelp() : on,
      spec.default === true ? off : off.hideHelp(),
      ...aliases,
    ];
  }
  const option = new Option(`--${spec.flag} <${spec.kind.arg}>`, `${spec.help} [${env}; default ${shown}]`);
  if (spec.kind.repeatable)
    option.argParser((value: string, previous: readonly string[] | undefined) => [
      ...(previous ?? []),
      value,
    ]);
  return [option];
}

/** commander's attribute name of a flag: "max-key-bytes" → "maxKeyBytes". */
function attributeOf(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

async function run(options: ServerOptions): Promise<void> {
  // --workers N: this process forks the workers, which run the server (serve-workers.ts).
  if (options.workers > 1 && !isServeWorker()) return servePrimary(options);
  // Signal handlers come first: a signal that arrives while the server starts stops it once it
  // has started, and one that arrives right after the "listening" line is never missed.
  let stopping: string | undefined;
  let stopNow: ((signal: string) => void) | undefined;
  const onSignal = (signal: string) => {
    stopping ??= signal;
    stopNow?.(signal);
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  const server = await startServer(options);
  const readOnly = options.readOnly ? " (read-only)" : "";
  const security = [
    options.tlsCert && (options.tlsClientCa ? "TLS with client certificates" : "TLS"),
    options.authFile && `tokens from ${options.authFile}`,
  ]
    .filter(Boolean)
    .join(", ");
  const { logger } = server;
  // Tests and scripts read the URL from this line: keep a space after it. It is written at any
  // --log-level but silent (a child logger at info): --log-level warn still says where it listens.
  const announce =
    logger.isLevelEnabled("info") || logger.level === "silent" ? logger : logger.child({}, { level: "info" });
  if (isServeWorker()) reportListening(server.url);
  else
    announce.info(
      { url: server.url, metrics: server.metricsUrl, node: process.version, nodeFlags: process.execArgv },
      `anykv listening on ${server.url} (gRPC, gRPC-Web, Connect); data: ${server.backendDescription}${readOnly}${security ? `; ${security}` : ""}`,
    );
  stopNow = (signal) => {
    logger.info(`anykv: ${signal} received, finishing in-flight calls and closing the store`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "anykv: error while stopping");
        process.exit(1);
      },
    );
  };
  if (stopping) stopNow(stopping);
}
