#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { isAnykvError } from "../errors.js";
import { CLIENT_USAGE, runClientCommand } from "./client-commands.js";
import { serve } from "./serve-command.js";

const USAGE = `usage: anykv <command> [options]

commands:
  serve     run the server (anykv serve --help)
  --version print the version

${CLIENT_USAGE}
`;

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return serve(rest);
    case "get":
    case "put":
    case "delete":
    case "info":
    case "keys":
      return runClientCommand(command, rest);
    case "--version":
    case "-V":
      process.stdout.write(`${version()}\n`);
      return;
    default:
      process.stderr.write(USAGE);
      process.exitCode = command === undefined || command === "help" || command === "--help" ? 0 : 2;
  }
}

/** The package's version, from the package.json next to dist/ (in the repository and when installed). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  return String((pkg as { version?: unknown }).version);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Errors a person sees say what went wrong and what to do, without a stack trace.
  const message =
    isAnykvError(err) || err instanceof RangeError || err instanceof TypeError ? err.message : String(err);
  console.error(`anykv: ${message}`);
  process.exit(1);
});
