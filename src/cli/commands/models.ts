import { writeFile } from "node:fs/promises";
import type { JsonObject } from "@bufbuild/protobuf";
import type { Command } from "commander";
import { clientContext } from "../client-context.js";
import { isStdio, readAllBytes, readAllText } from "../input.js";
import { printJson, printLine, writeOut } from "../output.js";
import { UsageError } from "../usage.js";

/** models register, list, get, delete: the server's registered models (ModelService). */
export function modelCommands(program: Command): void {
  const models = program.command("models").description("register, list, read and delete models");

  models
    .command("register")
    .description(
      "register the messages of a descriptor set (buf build -o FILE.binpb), or a JSON Schema with --name",
    )
    .argument("<FILE>", "a .binpb descriptor set or, with --name, a JSON Schema; - reads stdin")
    .option("--name <NAME>", "register FILE as a JSON Schema under this name")
    .option("--replace", "replace models registered under the same names with other definitions")
    .action(async (file: string, flags: { name?: string; replace?: boolean }, command: Command) => {
      const ctx = clientContext(command);
      const options = { replace: flags.replace === true };
      let registered: { name: string; kind: string; file: string }[];
      if (flags.name !== undefined) {
        const schema = parseSchema(await readAllText(file, isStdio(file) ? "stdin" : file), file);
        registered = await ctx.store.models.registerJsonSchema(flags.name, schema, options);
      } else {
        if (file.endsWith(".json"))
          throw new UsageError(`${file} looks like a JSON Schema: give it a name with --name NAME`);
        const descriptorSet = await readAllBytes(file);
        const res = await ctx.store.models.rpc.registerModels({ descriptorSet, replace: options.replace });
        registered = (await ctx.store.models.list()).filter((m) => res.models.some((r) => r.name === m.name));
      }
      if (ctx.output === "json") return printJson(registered, true);
      for (const model of registered) await printLine(`registered ${model.name} (${model.kind})`);
    });

  models
    .command("list")
    .description("list the registered models: name, kind, defining file")
    .action(async (_flags: unknown, command: Command) => {
      const ctx = clientContext(command);
      const list = await ctx.store.models.list();
      if (ctx.output === "json") return printJson(list, true);
      for (const model of list)
        await printLine([model.name, model.kind, model.file].filter(Boolean).join("\t"));
    });

  models
    .command("get")
    .description("print a model's definition: a JSON Schema, or a protobuf model's descriptor set")
    .argument("<NAME>")
    .option("--descriptor-set <FILE>", "write a protobuf model's descriptor set to FILE (- for stdout)")
    .action(async (name: string, flags: { descriptorSet?: string }, command: Command) => {
      const ctx = clientContext(command);
      const res = await ctx.store.models.rpc.getModel({ name });
      const info = (await ctx.store.models.list()).find((m) => m.name === name) ?? {
        name,
        kind: "",
        file: "",
      };
      const definition = res.definition;
      if (flags.descriptorSet !== undefined) {
        if (definition.case !== "descriptorSet") throw new UsageError(`${name} is not a protobuf model`);
        if (isStdio(flags.descriptorSet)) return writeOut(definition.value);
        await writeFile(flags.descriptorSet, definition.value);
        return printLine(`wrote the descriptor set of ${name} to ${flags.descriptorSet}`);
      }
      if (ctx.output === "json")
        return printJson(
          {
            ...info,
            ...(definition.case === "jsonSchema" ? { jsonSchema: definition.value } : {}),
            ...(definition.case === "descriptorSet"
              ? { descriptorSet: Buffer.from(definition.value).toString("base64") }
              : {}),
          },
          true,
        );
      if (definition.case === "jsonSchema") return printLine(JSON.stringify(definition.value, undefined, 2));
      return printLine(
        `${name}: protobuf message in ${info.file} (--descriptor-set FILE writes its descriptor set)`,
      );
    });

  models
    .command("delete")
    .description("delete a model (a protobuf model with every message of its file)")
    .argument("<NAME>")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const ctx = clientContext(command);
      const removed = await ctx.store.models.delete(name);
      if (ctx.output === "json") return printJson({ name, removed }, true);
      return printLine(removed.length > 0 ? `deleted ${removed.join(", ")}` : `${name} did not exist`);
    });
}

function parseSchema(text: string, file: string): JsonObject {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (schema === null || typeof schema !== "object" || Array.isArray(schema))
    throw new UsageError(`${file} is not a JSON Schema (a JSON object)`);
  return schema as JsonObject;
}
