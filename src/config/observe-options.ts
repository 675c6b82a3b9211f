import { LOG_LEVELS } from "../server/observe/logger.js";
import { parseListenAddress } from "./listen-address.js";
import { option, optionGroup } from "./option.js";
import { oneOf, text } from "./option-kinds.js";

/** Logs and metrics (src/server/observe/). */
export const observeOptions = optionGroup("Logs and metrics", {
  /**
   * Least severe level logged (pino JSON lines on stdout; a pretty form when stdout is a
   * terminal): fatal, error, warn, info (one access line per call), debug (also calls the client
   * cancelled), trace, or silent. A program embedding the server is not flooded with access
   * lines: the library's default is "warn", `anykv serve`'s "info".
   */
  logLevel: option({
    flag: "log-level",
    kind: oneOf(LOG_LEVELS, "LEVEL"),
    default: "warn",
    serveDefault: "info",
    help: "least severe level logged (JSON lines on stdout; pretty on a terminal)",
  }),
  /** "HOST:PORT" of a listener of its own that serves GET /metrics; "" serves it on the main port. */
  metricsListen: option({
    flag: "metrics-listen",
    kind: text("HOST:PORT", (address) =>
      address === "" || parseListenAddress(address)
        ? undefined
        : `"${address}" must be HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464`,
    ),
    default: "",
    defaultText: "none (on the main port)",
    help: "serve /metrics on a listener of its own instead of the main port",
  }),
});
