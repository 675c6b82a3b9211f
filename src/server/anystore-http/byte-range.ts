import { HttpError } from "./http-errors.js";

/** An inclusive byte range of a value. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parses a Range header for a value of `size` bytes: `bytes=a-b`, `bytes=a-`
 * and the suffix form `bytes=-n`; one range only. A range that starts past
 * the end is 416 with `Content-Range: bytes *\/size`, as RFC 9110 says.
 */
export function parseByteRange(header: string, size: number): ByteRange {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) {
    throw new HttpError(
      400,
      `unsupported Range "${header}": use one byte range, bytes=START-END, bytes=START- or bytes=-SUFFIX`,
    );
  }
  const unsatisfiable = () =>
    new HttpError(416, `range "${header}" is outside the value's ${size} bytes`, {
      "Content-Range": `bytes */${size}`,
    });
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
}
