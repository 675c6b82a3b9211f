import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "./config-error.js";

/**
 * The options in a --config file: JSON or YAML (JSON is read as YAML, which it is a subset of),
 * one mapping whose keys are the options' flag names (`port: 8080`, `max-key-bytes: 2048`,
 * `cors-origin: [https://a.example]`). An empty file holds no options.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read the config file ${path} (--config): ${(cause as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (cause) {
    throw new ConfigError(`the config file ${path} is not valid JSON or YAML: ${(cause as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== "object" || Array.isArray(document))
    throw new ConfigError(`the config file ${path} must hold a mapping of option names to values`);
  return document as Record<string, unknown>;
}
