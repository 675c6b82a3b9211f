import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { UsageError } from "./usage.js";

/** `-` is stdin (or stdout), anything else a path. */
export const isStdio = (path: string): boolean => path === "-";

/** All of a file's bytes, or stdin's for `-`. */
export async function readAllBytes(path: string): Promise<Uint8Array> {
  if (!isStdio(path)) return new Uint8Array(await readFile(path));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A file's text (stdin's for `-`), which must be UTF-8; `what` names it in the error. */
export async function readAllText(path: string, what: string): Promise<string> {
  const bytes = await readAllBytes(path);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new UsageError(
      `${what} is not UTF-8 text; to store bytes, use --file ${path} or anykv upload KEY ${path}`,
    );
  }
}

/** A byte stream of a file (with its size, for progress) or of stdin (size unknown). */
export async function openBytes(path: string): Promise<{ stream: Readable; size: number | undefined }> {
  if (isStdio(path)) return { stream: process.stdin, size: undefined };
  const { size } = await stat(path);
  return { stream: createReadStream(path, { highWaterMark: 1024 * 1024 }), size };
}
