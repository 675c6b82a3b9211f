import { ConfigError } from "./config-error.js";
import {
  defaultServerOptions,
  type ServerOptionKey,
  type ServerOptions,
  serverOptionSpecs,
  serverOptionTable,
} from "./option-table.js";
import { protectedModeProblem } from "./protected-mode.js";

/** Where each given option's value came from ("--port (command line)"), for error messages. */
export type OptionSources = Partial<Record<ServerOptionKey, string>>;

/**
 * Merges options over the defaults and checks them once, at start-up: each option against its
 * table entry, then the rules between options (timeouts, protected mode). A bad value is a
 * ConfigError naming the option and, when `sources` says, where the value came from.
 */
export function resolveServerOptions(
  options: Partial<ServerOptions> = {},
  sources: OptionSources = {},
): ServerOptions {
  const resolved = { ...defaultServerOptions, ...options } as ServerOptions;
  const where = (key: ServerOptionKey) => sources[key] ?? `option ${key} (--${serverOptionTable[key].flag})`;
  for (const [key, spec] of serverOptionSpecs) {
    if (options[key] === undefined) continue;
    const value: unknown = resolved[key];
    const why = spec.kind.check(value) ?? spec.check(value);
    if (why)
      throw new ConfigError(`${where(key)}: ${why}${spec.kind.repeatable ? "" : ` (got ${show(value)})`}`);
  }
  const shown = (key: ServerOptionKey) => serverOptionTable[key].kind.format(resolved[key] as never);
  const timeouts = (a: ServerOptionKey, b: ServerOptionKey) =>
    `${where(a)} is ${shown(a)}, ${where(b)} is ${shown(b)}`;
  if (resolved.requestTimeoutMs > 0 && resolved.headersTimeoutMs > resolved.requestTimeoutMs)
    throw new ConfigError(
      `the headers timeout must not be longer than the request timeout: ${timeouts("headersTimeoutMs", "requestTimeoutMs")}`,
    );
  if (resolved.keepaliveIntervalMs > 0 && resolved.keepaliveTimeoutMs < 1)
    throw new ConfigError(
      `the keepalive timeout must be positive while keepalive pings are on: ${timeouts("keepaliveTimeoutMs", "keepaliveIntervalMs")}`,
    );
  if ((resolved.tlsCert === "") !== (resolved.tlsKey === ""))
    throw new ConfigError(
      `TLS needs both a certificate and its key: ${where("tlsCert")} and ${where("tlsKey")} go together`,
    );
  if (resolved.tlsClientCa !== "" && resolved.tlsCert === "")
    throw new ConfigError(`${where("tlsClientCa")} needs TLS: add --tls-cert and --tls-key`);
  if (resolved.readOnly && resolved.models.length > 0)
    throw new ConfigError(
      `${where("models")} registers models, which is a write, and ${where("readOnly")} refuses writes: give one or the other`,
    );
  const unprotected = protectedModeProblem(resolved, "authFile" in serverOptionTable);
  if (unprotected) throw new ConfigError(unprotected);
  return resolved;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
