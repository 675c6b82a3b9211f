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
  // Most keys are already normal printable ASCII (and every key comes here twice on the way
  // to a write): one pass over the characters, no regular expressions, splits or encoding.
  if (key.length <= maxBytes && isNormalAscii(key)) return key;
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

/**
 * Whether `key` is printable ASCII (space to ~) and already normal: no leading,
 * trailing or doubled `/`, no `.` or `..` segment. Its UTF-8 length is then its length.
 */
function isNormalAscii(key: string): boolean {
  let start = 0;
  for (let i = 0; i <= key.length; i++) {
    const c = i < key.length ? key.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const length = i - start;
      if (length === 0) return false;
      if (length <= 2 && key.charCodeAt(start) === DOT && (length === 1 || key.charCodeAt(start + 1) === DOT))
        return false;
      start = i + 1;
    } else if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

const SLASH = 0x2f;
const DOT = 0x2e;

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
