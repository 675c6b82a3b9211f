#!/usr/bin/env node
import { runCli } from "./program.js";

// A reader that went away (`anykv keys | head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

// A command is done when its action returns (stdout and stderr to pipes and files are written
// synchronously on Linux, and writeOut waited for each write): exit then, rather than wait for
// the client's idle HTTP/2 connection to close. `serve` does not return; signals end it.
process.exit(await runCli(process.argv.slice(2)));
