import type { BackgroundReports } from "../../store/background-tasks.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** The store's background reports as log lines and metrics. */
export function createBackgroundReports(logger: Logger, metrics: Metrics): BackgroundReports {
  return {
    failed(task, err, attempt, retryMs) {
      metrics.taskFailed(task);
      const when = retryMs === undefined ? "when next needed" : `in ${retryMs} ms`;
      logger.error({ err, task, attempt, retryInMs: retryMs }, `${task} failed; retrying ${when}`);
    },
    recovered(task, failures) {
      logger.info({ task, failures }, `${task} succeeded after ${failures} failed attempts`);
    },
    swept(expired) {
      metrics.swept(expired);
      if (expired > 0) logger.debug({ task: "expiry sweep", expired }, "expired keys removed");
    },
  };
}
