import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tool } from "../../support/tools.js";

/** Runs oracle.py once with `request` on stdin and returns its JSON answer. */
export function askPython<T>(request: unknown): T {
  const script = fileURLToPath(new URL("./oracle.py", import.meta.url));
  let stdout: string;
  try {
    stdout = execFileSync(tool("python3"), [script], {
      input: JSON.stringify(request),
      encoding: "utf8",
      maxBuffer: 1 << 30,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    // Loud on purpose: a missing CPython or cloudpickle must fail the suite, never skip it.
    throw new Error(`${tool("python3")} ${script} failed. ${stderr.trim() || String(err)}`);
  }
  return JSON.parse(stdout) as T;
}
