import { AnykvError } from "../errors.js";

const encoder = new TextEncoder();
// C0 and C1 control characters and DEL; NUL is among them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Normalizes a key and checks the key rules: `a/./b/` is `a/b`; empty keys,
 * a leading `/`, `..` segments, control characters and keys longer than
 * `maxBytes` (UTF-8) are INVALID_KEY.
 */
export function normalizeKey(key: string, maxBytes: number): string {
  const fail = (why: string): never => {
    throw new AnykvError("INVALID_KEY", `invalid key ${JSON.stringify(key.slice(0, 200))}: ${why}`);
  };
  if (key.length === 0) fail("the key is empty");
  if (CONTROL.test(key)) fail("keys may not contain NUL or control characters");
  if (key.startsWith("/")) fail("keys may not start with /");
  if (LONE_SURROGATE.test(key)) fail("the key is not valid Unicode");
  const segments = key.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) fail("keys may not contain .. segments");
  const normalized = segments.join("/");
  if (normalized.length === 0) fail("the key is empty once . segments and slashes are removed");
  if (encoder.encode(normalized).length > maxBytes) fail(`keys are at most ${maxBytes} bytes (UTF-8)`);
  return normalized;
}

/** Normalizes a listing prefix like a key, except that "" (or only `/` and `.`) means everything. */
export function normalizePrefix(prefix: string, maxBytes: number): string {
  const empty = !prefix.startsWith("/") && prefix.split("/").every((s) => s === "" || s === ".");
  return empty ? "" : normalizeKey(prefix, maxBytes);
}

/**
 * Namespaces are short names: letters, digits, `.`, `_`, `-` and `/`, at most
 * 128 characters; "" is the default namespace.
 */
export function checkNamespace(namespace: string): string {
  if (namespace.length > 128 || !/^[A-Za-z0-9._\-/]*$/.test(namespace)) {
    throw new AnykvError(
      "INVALID_ARGUMENT",
      `invalid namespace ${JSON.stringify(namespace.slice(0, 200))}: use at most 128 letters, digits, '.', '_', '-' or '/'`,
    );
  }
  return namespace;
}

/** Whether `key` is `prefix` or lies below it as a path ("foo" covers "foo/bar", not "food"). */
export function isUnderPrefix(key: string, prefix: string): boolean {
  return prefix === "" || key === prefix || key.startsWith(`${prefix}/`);
}
