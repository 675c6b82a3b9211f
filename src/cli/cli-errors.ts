import { Code, ConnectError } from "@connectrpc/connect";
import { isAnykvError } from "../errors.js";
import { CodeNotTrustedError } from "./output.js";

/**
 * An error of a client command as a sentence for a person: what went wrong, and what to do
 * about it — never a stack trace.
 */
export function explainError(err: unknown, url: string | undefined): string {
  if (err instanceof ConnectError) {
    const what = `${Code[err.code]}: ${err.rawMessage}`;
    if (err.code === Code.Unavailable)
      return `${what} (is the server running at ${url ?? "the URL given"}? start one with \`anykv serve\`, or point --url or ANYKV_URL at it)`;
    return what;
  }
  if (err instanceof CodeNotTrustedError || isAnykvError(err)) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ||
      code === "EACCES" ||
      code === "EISDIR" ||
      err instanceof RangeError ||
      err instanceof TypeError
      ? err.message
      : `${err.message} (an unexpected error: please report it)`;
  }
  return String(err);
}
