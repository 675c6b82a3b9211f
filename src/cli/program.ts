import { existsSync, readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { explainError } from "./cli-errors.js";
import { addClientOptions } from "./client-context.js";
import { COMMAND_GROUPS } from "./commands/index.js";
import { UsageError } from "./usage.js";

/** Exit codes: 0 done, 1 the operation failed (or said no), 2 the command line is wrong. */
export const EXIT_USAGE = 2;

/** Where the program's own messages go: help and version (out), usage errors (err). */
export interface ProgramOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const STDIO: ProgramOutput = {
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
};

/** The `anykv` program: global options and every command group. */
export function createProgram(output: ProgramOutput = STDIO): Command {
  const program = new Command("anykv")
    .description("anykv: store any value under a key, serve it to any language over gRPC")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "print help")
    .helpCommand("help [COMMAND]", "print help for a command")
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr })
    .exitOverride();
  addClientOptions(program);
  for (const group of COMMAND_GROUPS) group(program);
  return program;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], output: ProgramOutput = STDIO): Promise<number> {
  const program = createProgram(output);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    // commander has printed its own message (usage errors) or the help and version (exit 0).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    if (err instanceof UsageError) {
      output.writeErr(`error: ${err.message}\n(add --help for usage)\n`);
      return EXIT_USAGE;
    }
    const url = program.opts<{ url?: string }>().url;
    output.writeErr(`anykv: ${explainError(err, url)}\n`);
    return 1;
  }
}

/**
 * The package's version, from its package.json: three levels up from dist/src/cli/ (in the
 * repository and when installed), two from src/cli/ (tests run the sources).
 */
function packageVersion(): string {
  for (const path of ["../../../package.json", "../../package.json"]) {
    const url = new URL(path, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { name?: unknown; version?: unknown };
    if (pkg.name === "anykv") return String(pkg.version);
  }
  return "unknown";
}
