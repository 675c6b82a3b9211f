import { createHash } from "node:crypto";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "../../gen/anykv/v1/value_pb.js";
import type { KeyInfo } from "../client/index.js";
import { valueJson } from "./output.js";

/**
 * One key of an export, as one JSON line: the value in the API's JSON form of anykv.v1.Value
 * (so its kind survives: bytes stay bytes, dates stay dates), how it was stored, and its
 * expiry both ways — the absolute time, and the seconds that were left when it was exported.
 * In a directory export, raw, text and JSON values live in a file of their own instead (`file`,
 * relative to the directory).
 */
export interface ExportRecord {
  readonly key: string;
  readonly value?: JsonValue;
  readonly file?: string;
  readonly kind: string;
  readonly codec: string;
  readonly model?: string;
  readonly contentType?: string;
  /** ISO time the key expires at; absent: never. */
  readonly expiresAt?: string;
  /** Seconds it had left when exported; absent: never expires. */
  readonly ttl?: number;
}

/** The index of a directory export: one record per line, next to the value files. */
export const INDEX_FILE = ".anykv-export.jsonl";
/** Where a value goes when its key's path is taken (key "a" and key "a/b" both exist). */
export const SPILL_DIR = ".anykv-files";

/** A key's record, its value inline. */
export function exportRecord(key: string, info: KeyInfo, value: Value, now: number): ExportRecord {
  return { key, value: valueJson(value), ...storedAs(info, now) };
}

/** How a key was stored: kind, codec, model, content type and expiry. */
export function storedAs(info: KeyInfo, now: number): Omit<ExportRecord, "key" | "value" | "file"> {
  const expires = info.expiresAt?.getTime();
  return {
    kind: info.kind,
    codec: info.codec,
    ...(info.model ? { model: info.model } : {}),
    ...(info.contentType ? { contentType: info.contentType } : {}),
    ...(expires === undefined
      ? {}
      : { expiresAt: new Date(expires).toISOString(), ttl: Math.max(0, (expires - now) / 1000) }),
  };
}

/** A line of an export, checked: `where` names it in errors ("FILE line 3"). */
export function parseRecord(line: string, where: string): ExportRecord {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    throw new Error(`${where} is not JSON: an export has one JSON object per line`);
  }
  const r = record as Partial<ExportRecord> | null;
  if (r === null || typeof r !== "object" || typeof r.key !== "string" || r.key === "")
    throw new Error(`${where} has no "key": an export has one {"key", "value", …} object per line`);
  if ((r.value === undefined) === (r.file === undefined))
    throw new Error(`${where} (key "${r.key}") needs a "value" or a "file"`);
  if (r.expiresAt !== undefined && Number.isNaN(Date.parse(r.expiresAt)))
    throw new Error(`${where} (key "${r.key}") has an expiresAt that is not a time: ${r.expiresAt}`);
  return r as ExportRecord;
}

/** A record's inline value as the API's Value. */
export function recordValue(record: ExportRecord, where: string): Value {
  try {
    return fromJson(ValueSchema, record.value as JsonValue);
  } catch (err) {
    throw new Error(
      `${where} (key "${record.key}") has a value anykv cannot read: ${(err as Error).message}`,
    );
  }
}

/**
 * The TTL an imported key gets, in seconds (0: never expires), or undefined when it has already
 * expired: the time left until its absolute expiry, or the time it had left when exported.
 */
export function importTtl(
  record: ExportRecord,
  expiry: "absolute" | "remaining",
  now: number,
): number | undefined {
  if (record.expiresAt === undefined) return 0;
  const seconds = expiry === "remaining" ? (record.ttl ?? 0) : (Date.parse(record.expiresAt) - now) / 1000;
  return seconds > 0 ? seconds : undefined;
}

/** The spill path of a key whose own path is taken. */
export function spillPath(key: string): string {
  return `${SPILL_DIR}/${createHash("sha256").update(key).digest("hex")}`;
}
