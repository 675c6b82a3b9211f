/**
 * The server's options. They are declared once, in the option table (src/config/option-table.ts):
 * each with its flag, environment variable, config file key, default, help and checks.
 */
export { ConfigError } from "../config/config-error.js";
export { parseListenAddress } from "../config/listen-address.js";
export { defaultServerOptions, type ServerOptions } from "../config/option-table.js";
export { resolveServerOptions } from "../config/resolve-server-options.js";
export { parseDuration } from "./duration.js";
