import { ENCODINGS, MIME_TYPES, SUFFIXES } from "./mime-types.js";

const DEFAULT = "application/octet-stream";

/**
 * The MIME type a value is served with: the one it was stored with, or, when it was stored
 * without one (bytes put through this API, raw gRPC puts), a guess from the key's extension,
 * as anystore's server makes it (Python's mimetypes.guess_type on the key's name, normalized
 * by rigour): `a.json` is application/json, `a.tar.gz` application/x-tar, `a` octet-stream.
 */
export function servedMimetype(key: string, stored: string): string {
  return stored && stored !== DEFAULT ? stored : guessMimetype(key);
}

/** Python's mimetypes.guess_type(name)[0] over its built-in table (mime-types.ts). */
export function guessMimetype(key: string): string {
  let [base, ext] = splitext(key.slice(key.lastIndexOf("/") + 1));
  for (let full = SUFFIXES[ext.toLowerCase()]; full !== undefined; full = SUFFIXES[ext.toLowerCase()]) {
    [base, ext] = splitext(base + full);
  }
  if (ENCODINGS.has(ext)) [base, ext] = splitext(base); // case-sensitive, as in Python
  return MIME_TYPES[ext.toLowerCase()] ?? DEFAULT;
}

/** posixpath.splitext of a name: the extension from its last dot, leading dots aside. */
function splitext(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || /^\.+$/.test(name.slice(0, dot))) return [name, ""];
  return [name.slice(0, dot), name.slice(dot)];
}
