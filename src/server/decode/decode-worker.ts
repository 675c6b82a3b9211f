import { parentPort } from "node:worker_threads";
import { type DecodeTask, runDecodeTask } from "./decode-task.js";

/**
 * A decode-pool thread: runs one task at a time and posts its outcome. An
 * encoded Value's buffer is transferred, not copied. A bug (not a domain
 * error) ends the thread; the pool reports it and starts another.
 */
parentPort?.on("message", (task: DecodeTask) => {
  const outcome = runDecodeTask(task);
  const transfer = outcome.ok === "wire" ? [outcome.value.buffer as ArrayBuffer] : [];
  parentPort?.postMessage(outcome, transfer);
});
parentPort?.postMessage("ready");
