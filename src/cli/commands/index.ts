import type { Command } from "commander";
import { backupCommands } from "./backup.js";
import { exportImportCommands } from "./export-import.js";
import { healthCommands } from "./health.js";
import { listingCommands } from "./listing.js";
import { modelCommands } from "./models.js";
import { serveCommands } from "./serve.js";
import { transferCommands } from "./transfer.js";
import { valueCommands } from "./values.js";

/** Adds a group of commands to the program. */
export type CommandGroup = (program: Command) => void;

/** Every command group, in the order `anykv --help` lists them: one line each. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  serveCommands,
  valueCommands,
  listingCommands,
  transferCommands,
  exportImportCommands,
  modelCommands,
  healthCommands,
  backupCommands,
];
