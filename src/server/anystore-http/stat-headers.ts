import { type Entry, entrySize } from "../../store/store.js";
import { servedMimetype } from "./guess-mimetype.js";

/**
 * Response headers describing a stored value, as anystore's API sends them:
 * size, type, Last-Modified, Accept-Ranges and one x-anystore-* header per
 * field of anystore's Stats (name, created-at, updated-at, size, store, key,
 * mimetype). A value stored without a type is served with the one its key's
 * extension suggests, as anystore's server does. anykv adds its revision as the ETag.
 */
export function statHeaders(entry: Entry, storeUrl: string): Record<string, string> {
  const { meta } = entry;
  const mimetype = servedMimetype(entry.key, meta.contentType);
  const size = String(entrySize(entry));
  return {
    "Content-Length": size,
    "Content-Type": mimetype,
    "Accept-Ranges": "bytes",
    "Last-Modified": new Date(meta.updatedAt).toUTCString(),
    ETag: `"${meta.revision}"`,
    "x-anystore-name": headerSafe(entry.key.slice(entry.key.lastIndexOf("/") + 1)),
    "x-anystore-created-at": isoSeconds(meta.createdAt),
    "x-anystore-updated-at": isoSeconds(meta.updatedAt),
    "x-anystore-size": size,
    "x-anystore-store": storeUrl,
    "x-anystore-key": headerSafe(entry.key),
    "x-anystore-mimetype": mimetype,
  };
}

/** An ISO 8601 UTC time as pydantic prints an aware datetime ("2026-01-02T03:04:05.678000Z"). */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Header values are ASCII: a key with other characters is sent percent-encoded. */
function headerSafe(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}
