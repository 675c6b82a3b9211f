import { toBinary } from "@bufbuild/protobuf";
import { ValueSchema } from "../../../gen/anykv/v1/value_pb.js";
import { deserialize, type StoredFormat } from "../../codec/deserialize.js";
import { inertCode } from "../../codec/inert-code.js";
import type { PickleLimits } from "../../codec/pickle/index.js";
import type { ModeName, TypedValue } from "../../codec/typed-value.js";
import { valueToWire } from "../../codec/wire-value.js";
import { AnykvError, type ErrorCode, isAnykvError } from "../../errors.js";

/**
 * One stored value to decode: everything the work needs, as plain data, so
 * that it runs the same on the event loop or in a worker thread (it crosses
 * by structured clone).
 */
export interface DecodeTask {
  readonly bytes: Uint8Array;
  readonly stored: StoredFormat;
  readonly mode: ModeName;
  /** Names the key in error messages. */
  readonly key: string;
  readonly limits: PickleLimits;
  /** Keep code values (a server with --allow-code reading bytes anykv's pickle writer wrote). */
  readonly keepCode: boolean;
  /**
   * "wire": the answer is the encoded anykv.v1.Value (the conversion to the wire, big ints to
   * decimal included, is part of the work); "typed": the decoded value (reads with a model).
   */
  readonly output: "wire" | "typed";
}

/** The decoded value of a task; domain errors throw (DECODE_FAILED, LIMIT_EXCEEDED, …). */
export function decodeTask(task: DecodeTask): TypedValue {
  const decoded = deserialize(task.bytes, task.stored, task.mode, task.key, task.limits);
  return task.keepCode ? decoded : inertCode(decoded);
}

/** What a task gives back across a thread: an encoded Value, a decoded value, or a domain error as data. */
export type DecodeOutcome =
  | { readonly ok: "wire"; readonly value: Uint8Array }
  | { readonly ok: "typed"; readonly value: TypedValue }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly cause?: string };

/** Runs a task for another thread: a domain error is returned as data, anything else throws. */
export function runDecodeTask(task: DecodeTask): DecodeOutcome {
  try {
    const value = decodeTask(task);
    if (task.output === "typed") return { ok: "typed", value };
    return { ok: "wire", value: toBinary(ValueSchema, valueToWire(value)) };
  } catch (err) {
    if (!isAnykvError(err)) throw err;
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    return { ok: false, code: err.code, message: err.message, ...(cause === undefined ? {} : { cause }) };
  }
}

/** The outcome's error as the AnykvError it was (its cause keeps only its message). */
export function outcomeError(outcome: Extract<DecodeOutcome, { ok: false }>): AnykvError {
  const cause = outcome.cause === undefined ? undefined : new Error(outcome.cause);
  return new AnykvError(outcome.code, outcome.message, cause === undefined ? undefined : { cause });
}
