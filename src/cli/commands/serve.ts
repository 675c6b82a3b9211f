import type { Command } from "commander";

/**
 * serve: runs the server. Its flags are serve-command.ts's (`anykv serve --help`), passed on
 * as given; the server's modules load only for this command, so the client commands start
 * without them. The action does not return: the server runs until a signal stops the process
 * (serve-command.ts exits once it has closed the store).
 */
export function serveCommands(program: Command): void {
  program
    .command("serve")
    .description("run the server (anykv serve --help lists its flags)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[FLAGS...]")
    .action(async (_flags: unknown, _options: unknown, command: Command) => {
      const { serve } = await import("../serve-command.js");
      await serve(command.args);
      await new Promise<never>(() => {});
    });
}
