import { Code } from "@connectrpc/connect";
import { type Command, Option } from "commander";
import type { Value } from "../../../gen/anykv/v1/value_pb.js";
import { listRequest } from "../../client/bulk-client.js";
import type { ListKeysOptions, ModeName } from "../../client/index.js";
import { toKeyInfo } from "../../client/store-client.js";
import { createWatchMethods } from "../../client/watch-client.js";
import { clientContext } from "../client-context.js";
import { keyInfoJson, printJson, printLine, valueJson, valueLine } from "../output.js";
import { MODES, wholeNumber } from "../usage.js";
import { listedValues, messageRegistry, modeOf } from "../wire.js";

interface ListFlags {
  glob?: string;
  excludePrefix?: string;
  limit?: number;
  reverse?: boolean;
  startAfter?: string;
}

/** The listing options keys and values share. */
function listingOptions(command: Command): Command {
  return command
    .argument("[PREFIX]", "only keys under this path prefix")
    .option("--glob <PATTERN>", "only keys matching this glob (*, **, ?, [abc])")
    .option("--exclude-prefix <PREFIX>", "leave out keys under this prefix")
    .addOption(new Option("--limit <N>", "at most N keys").argParser(wholeNumber(0)))
    .option("--reverse", "in descending order")
    .option("--start-after <KEY>", "start after this key (the last one of the previous page)");
}

function listing(prefix: string | undefined, flags: ListFlags): ListKeysOptions {
  return {
    ...(prefix ? { prefix } : {}),
    ...(flags.glob ? { glob: flags.glob } : {}),
    ...(flags.excludePrefix ? { excludePrefix: flags.excludePrefix } : {}),
    ...(flags.limit === undefined ? {} : { limit: flags.limit }),
    ...(flags.reverse ? { reverse: true } : {}),
    ...(flags.startAfter ? { startAfter: flags.startAfter } : {}),
  };
}

/** keys, values, stream, watch, delete-prefix: many keys, or a stream of one. */
export function listingCommands(program: Command): void {
  listingOptions(program.command("keys").description("list keys in order, one per line")).action(
    async (prefix: string | undefined, flags: ListFlags, command: Command) => {
      const ctx = clientContext(command);
      for await (const key of ctx.store.keys(listing(prefix, flags)))
        await (ctx.output === "json" ? printJson(key) : printLine(key));
    },
  );

  listingOptions(program.command("values").description("list keys with their values, one per line"))
    .addOption(new Option("--mode <MODE>", "decode the values this way").choices(MODES))
    .option("--trust-code", "print stored code as its source (it is never run)")
    .action(async (prefix: string | undefined, flags: ListFlags & ReadFlags, command: Command) => {
      const ctx = clientContext(command);
      const stream = listedValues(ctx.store, {
        namespace: ctx.namespace,
        ...listRequest(listing(prefix, flags)),
        mode: modeOf(flags.mode),
      });
      for await (const item of stream) {
        const info = keyInfoJson(toKeyInfo(item.info!));
        if (item.result.case === "error") {
          const { code, message } = item.result.value;
          process.exitCode = 1;
          if (ctx.output === "json")
            await printJson({ key: item.key, error: { code: Code[code], message }, info });
          else process.stderr.write(`${item.key}: ${Code[code]}: ${message}\n`);
          continue;
        }
        const value = item.result.value;
        const registry = await messageRegistry(ctx.store, value);
        if (ctx.output === "json")
          await printJson({ key: item.key, value: valueJson(value!, registry), info });
        else
          await printLine(
            `${item.key}\t${valueLine(value!, { trustCode: flags.trustCode === true, ...(registry ? { registry } : {}) })}`,
          );
      }
    });

  program
    .command("stream")
    .description("print a value line by line as the server splits it (anystore's stream)")
    .argument("<KEY>")
    .addOption(new Option("--mode <MODE>", "decode each line this way").choices(MODES))
    .action(async (key: string, flags: ReadFlags, command: Command) => {
      const ctx = clientContext(command);
      for await (const res of ctx.store.rpc.stream({
        namespace: ctx.namespace,
        key,
        mode: modeOf(flags.mode),
      })) {
        if (!res.value) continue;
        await (ctx.output === "json"
          ? printJson(valueJson(res.value))
          : printLine(valueLine(res.value, { trustCode: false })));
      }
    });

  program
    .command("watch")
    .description("print changes under a prefix as they happen (Ctrl-C stops)")
    .argument("[PREFIX]", "only keys under this path prefix")
    .addOption(
      new Option("--start-revision <N>", "first revision to report (default: from now on)").argParser(
        wholeNumber(1),
      ),
    )
    .option("--values", "print each put's value")
    .addOption(new Option("--mode <MODE>", "decode the values this way").choices(MODES))
    .addOption(new Option("--count <N>", "stop after N changes").argParser(wholeNumber(1)))
    .option("--trust-code", "print stored code as its source (it is never run)")
    .action(async (prefix: string | undefined, flags: WatchFlags, command: Command) => {
      const ctx = clientContext(command);
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      const watcher = createWatchMethods({
        rpc: ctx.store.rpc,
        namespace: ctx.namespace,
        mode: (name) => modeOf(name),
        decode: (value) => value,
        keyInfo: toKeyInfo,
      });
      let seen = 0;
      for await (const event of watcher.watch<Value>({
        prefix: prefix ?? "",
        includeValues: flags.values === true,
        signal: stop.signal,
        ...(flags.mode ? { mode: flags.mode } : {}),
        ...(flags.startRevision === undefined ? {} : { startRevision: flags.startRevision }),
      })) {
        const revision = Number(event.revision);
        if (ctx.output === "json") {
          await printJson({
            type: event.type,
            key: event.key,
            revision,
            ...(event.value ? { value: valueJson(event.value) } : {}),
            ...(event.error
              ? { error: { code: Code[event.error.code], message: event.error.rawMessage } }
              : {}),
          });
        } else {
          const shown = event.value
            ? ` ${valueLine(event.value, { trustCode: flags.trustCode === true })}`
            : event.error
              ? ` (${Code[event.error.code]}: ${event.error.rawMessage})`
              : "";
          await printLine(`${event.type} ${event.key} (revision ${revision})${shown}`);
        }
        if (flags.count !== undefined && ++seen >= flags.count) break;
      }
    });

  program
    .command("delete-prefix")
    .description('delete every key under a prefix ("" clears the namespace)')
    .argument("<PREFIX>")
    .option("--glob <PATTERN>", "only keys matching this glob")
    .option("--exclude-prefix <PREFIX>", "keep keys under this prefix")
    .action(async (prefix: string, flags: { glob?: string; excludePrefix?: string }, command: Command) => {
      const ctx = clientContext(command);
      const deleted = await ctx.store.deletePrefix(prefix, {
        ...(flags.glob ? { glob: flags.glob } : {}),
        ...(flags.excludePrefix ? { excludePrefix: flags.excludePrefix } : {}),
      });
      if (ctx.output === "json") return printJson({ prefix, deleted }, true);
      return printLine(`deleted ${deleted} keys`);
    });
}

interface ReadFlags {
  mode?: ModeName;
  trustCode?: boolean;
}

interface WatchFlags extends ReadFlags {
  startRevision?: number;
  values?: boolean;
  count?: number;
}
