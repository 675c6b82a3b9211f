/**
 * One redaction of backend URLs for every backend and message, in a module of its own so that a
 * backend's connection code can use it without loading open-backend (and with it LevelDB).
 */

/** A URL with its password (and any `password=` query parameter) replaced by ***. */
export function redactUrl(value: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i.exec(value);
  let out = value;
  if (match) {
    const userinfo = match[2]!;
    const colon = userinfo.indexOf(":");
    const redacted =
      colon === -1 ? (match[1]!.startsWith("redis") ? "***" : userinfo) : `${userinfo.slice(0, colon)}:***`;
    out = match[1] + redacted + value.slice(match[0].length - 1);
  }
  return out.replace(/([?&](?:password|pass|pwd)=)[^&#]*/gi, "$1***");
}
