import { type Command, Option } from "commander";
import type { Value, KeyInfo as WireKeyInfo } from "../../../gen/anykv/v1/value_pb.js";
import type { ModeName } from "../../client/index.js";
import { toKeyInfo } from "../../client/store-client.js";
import { type ClientContext, clientContext } from "../client-context.js";
import { readAllBytes, readAllText } from "../input.js";
import { keyInfoJson, printJson, printLine, valueJson, valueText, writeOut } from "../output.js";
import { durationSeconds, MODES, UsageError, wholeNumber } from "../usage.js";
import { CHECKSUM_ALGORITHMS, messageRegistry, modeOf } from "../wire.js";
import { uploadValue } from "./transfer.js";

interface ReadOptions {
  mode?: ModeName;
  model?: string;
  trustCode?: boolean;
}

interface PutOptions {
  json?: string;
  file?: string;
  mode?: ModeName;
  ttl?: number;
  model?: string;
  contentType?: string;
  ifRevision?: number;
  ifAbsent?: boolean;
}

const modeOption = () => new Option("--mode <MODE>", "serialization mode").choices(MODES);
const ttlOption = () =>
  new Option("--ttl <DURATION>", "time to live: 90 (seconds), 30s, 5m, 2h, 7d; 0 never expires").argParser(
    durationSeconds,
  );
const ifRevisionOption = () =>
  new Option("--if-revision <N>", "only if the key is at this revision (else ABORTED)").argParser(
    wholeNumber(1),
  );

/** get, put, pop, delete, exists, info, touch, checksum: one key at a time. */
export function valueCommands(program: Command): void {
  for (const method of ["get", "pop"] as const) {
    program
      .command(method)
      .description(
        method === "get"
          ? "print a key's value (text as is, bytes raw, anything else as JSON)"
          : "print a key's value and delete the key, atomically",
      )
      .argument("<KEY>")
      .addOption(modeOption())
      .option("--model <NAME>", "read it as a validated instance of this model")
      .option("--trust-code", "print stored code as its source (it is never run)")
      .action((key: string, options: ReadOptions, command: Command) => read(method, key, options, command));
  }

  program
    .command("put")
    .description("store a value: text, JSON (--json) or a file's bytes (--file); - reads stdin")
    .argument("<KEY>")
    .argument("[VALUE]", "text to store; - reads it from stdin")
    .option("--json <JSON>", "a JSON value to store; - reads it from stdin")
    .option(
      "--file <FILE>",
      "store a file's bytes (- reads stdin), uploaded in chunks unless --mode is given",
    )
    .addOption(modeOption())
    .addOption(ttlOption())
    .option("--model <NAME>", "validate the value against this model")
    .option("--content-type <TYPE>", "MIME type of --file's bytes")
    .addOption(ifRevisionOption())
    .option("--if-absent", "only if the key does not exist (else ABORTED)")
    .action(put);

  program
    .command("delete")
    .description("delete a key")
    .argument("<KEY>")
    .addOption(ifRevisionOption())
    .action(async (key: string, options: { ifRevision?: number }, command: Command) => {
      const ctx = clientContext(command);
      const deleted = await ctx.store.delete(key, conditions(options));
      if (ctx.output === "json") return printJson({ key, deleted }, true);
      return printLine(deleted ? `deleted ${key}` : `${key} did not exist`);
    });

  program
    .command("exists")
    .description("print true or false; exits 1 when the key does not exist")
    .argument("<KEY>")
    .action(async (key: string, _options: unknown, command: Command) => {
      const ctx = clientContext(command);
      const exists = await ctx.store.exists(key);
      if (!exists) process.exitCode = 1;
      return ctx.output === "json" ? printJson({ key, exists }, true) : printLine(String(exists));
    });

  program
    .command("info")
    .description("print a key's metadata (size, codec, kind, model, times, revision)")
    .argument("<KEY>")
    .action(async (key: string, _options: unknown, command: Command) => {
      const ctx = clientContext(command);
      const info = keyInfoJson(await ctx.store.info(key));
      if (ctx.output === "json") return printJson(info, true);
      const width = Math.max(...Object.keys(info).map((name) => name.length));
      const lines = Object.entries(info).flatMap(([name, value]) =>
        value === undefined || value === "" ? [] : [`${`${name}:`.padEnd(width + 2)}${value}`],
      );
      return printLine(lines.join("\n"));
    });

  program
    .command("touch")
    .description("set a key's updated time to now (and its TTL with --ttl); prints that time")
    .argument("<KEY>")
    .addOption(ttlOption())
    .action(async (key: string, options: { ttl?: number }, command: Command) => {
      const ctx = clientContext(command);
      const touchedAt = await ctx.store.touch(key, options.ttl === undefined ? {} : { ttl: options.ttl });
      if (ctx.output === "json") return printJson({ key, touchedAt: touchedAt.toISOString() }, true);
      return printLine(touchedAt.toISOString());
    });

  program
    .command("checksum")
    .description("print the digest of a key's stored bytes")
    .argument("<KEY>")
    .addOption(new Option("--algorithm <NAME>", "digest").choices(CHECKSUM_ALGORITHMS).default("sha256"))
    .action(async (key: string, options: { algorithm: string }, command: Command) => {
      const ctx = clientContext(command);
      const checksum = await ctx.store.checksum(key, { algorithm: options.algorithm });
      if (ctx.output === "json") return printJson({ key, algorithm: options.algorithm, checksum }, true);
      return printLine(checksum);
    });
}

async function read(method: "get" | "pop", key: string, options: ReadOptions, command: Command) {
  const ctx = clientContext(command);
  const res = await ctx.store.rpc[method]({
    namespace: ctx.namespace,
    key,
    mode: modeOf(options.mode),
    model: options.model ?? "",
  });
  await printValue(ctx, key, res.value, res.info, options.trustCode === true);
}

/** A value read from the server, as --output says: text for people, or `{key, value, info}`. */
export async function printValue(
  ctx: ClientContext,
  key: string,
  value: Value | undefined,
  info: WireKeyInfo | undefined,
  trustCode: boolean,
): Promise<void> {
  if (!value) return;
  const registry = await messageRegistry(ctx.store, value);
  if (ctx.output === "json") {
    return printJson(
      {
        key,
        value: valueJson(value, registry),
        ...(info ? { info: keyInfoJson(toKeyInfo(info)) } : {}),
      },
      true,
    );
  }
  const shown = valueText(value, { trustCode, ...(registry ? { registry } : {}) });
  return typeof shown === "string" ? printLine(shown) : writeOut(shown);
}

async function put(key: string, text: string | undefined, options: PutOptions, command: Command) {
  const sources = [text !== undefined, options.json !== undefined, options.file !== undefined];
  if (sources.filter(Boolean).length !== 1)
    throw new UsageError("put takes one value: VALUE, --json JSON or --file FILE (- reads stdin)");
  if (options.contentType !== undefined && options.file === undefined)
    throw new UsageError("--content-type goes with --file");
  const ctx = clientContext(command);
  const write = {
    ...conditions(options),
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
  };
  if (options.file !== undefined && options.mode === undefined && options.model === undefined)
    return uploadValue(ctx, key, options.file, {
      ...write,
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
  let value: unknown;
  if (options.file !== undefined) value = await readAllBytes(options.file);
  else if (options.json !== undefined) value = parseJson(await jsonText(options.json));
  else value = text === "-" ? await readAllText("-", "stdin") : text;
  const info = await ctx.store.put(key, value, {
    ...write,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.model ? { model: options.model } : {}),
  });
  if (ctx.output === "json") return printJson(info ? keyInfoJson(info) : { key, stored: false }, true);
  return printLine(
    info ? `stored ${info.key} (revision ${info.revision})` : "skipped: the server does not store nulls",
  );
}

const jsonText = (json: string) => (json === "-" ? readAllText("-", "stdin") : Promise.resolve(json));

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--json is not JSON: ${(err as Error).message}`);
  }
}

function conditions(options: { ifRevision?: number; ifAbsent?: boolean }) {
  return {
    ...(options.ifRevision === undefined ? {} : { ifRevision: options.ifRevision }),
    ...(options.ifAbsent ? { ifAbsent: true } : {}),
  };
}
