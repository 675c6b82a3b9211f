import { AnykvError } from "../../errors.js";
import type { Data } from "../data.js";
import {
  checkDate,
  checkTime,
  checkUtcOffset,
  looksLikeDateState,
  looksLikeDateTimeState,
  looksLikeTimeState,
  normalizeTimedelta,
  unpackDate,
  unpackDateTime,
  unpackTime,
} from "./datetime-state.js";
import { type Args, badArgs } from "./global-args.js";
import type { NodeBuilder } from "./node-builder.js";
import { type Node, TimezoneNode, typeName } from "./reader-nodes.js";

/**
 * The datetime module's constructors as pickles call them: with the state
 * bytes CPython pickles (or, from Python 2, a str of those bytes), or with
 * ordinary constructor arguments. Values are validated, since the state form
 * skips Python's own checks; only datetime.timezone is accepted as tzinfo.
 */

/** The state argument of datetime/date/time: bytes, or a str of byte values (Python 2 pickles). */
function stateBytes(node: Node | undefined): Uint8Array | undefined {
  if (node?.type === "bytes") return node.value;
  if (node?.type !== "str" || node.value.length > 16) return undefined;
  const out = new Uint8Array(node.value.length);
  for (let i = 0; i < out.length; i += 1) {
    const c = node.value.charCodeAt(i);
    if (c > 0xff) return undefined;
    out[i] = c;
  }
  return out;
}

/** An int argument (bool included, as in Python) that fits a double exactly. */
function intArg(node: Node | undefined): number | undefined {
  if (node?.type === "bool") return node.value ? 1 : 0;
  if (node?.type !== "int" || node.value > 2n ** 53n || node.value < -(2n ** 53n)) return undefined;
  return Number(node.value);
}

function intArgs(args: Args): number[] | undefined {
  const out: number[] = [];
  for (const arg of args) {
    const v = intArg(arg);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

function tzOffset(tz: Node | undefined, name: string): number | undefined {
  if (tz === undefined || tz.type === "none") return undefined;
  if (tz.type === "@timezone") return tz.offsetSeconds;
  throw new AnykvError(
    "DECODE_FAILED",
    `pickle gives ${name} a tzinfo of type ${typeName(tz)}; anykv reads only datetime.timezone`,
  );
}

function invalid(name: string, problem: string): AnykvError {
  return new AnykvError("DECODE_FAILED", `pickle holds an invalid ${name}: ${problem}`);
}

export function callDateTime(args: Args, _b: NodeBuilder, name: string): Node {
  const state = stateBytes(args[0]);
  let value: Data;
  if (state !== undefined && args.length <= 2 && looksLikeDateTimeState(state)) {
    value = { ...unpackDateTime(state), utcOffsetSeconds: tzOffset(args[1], name) };
  } else {
    const [year, month, day, hour = 0, minute = 0, second = 0, microsecond = 0] =
      intArgs(args.slice(0, 7)) ?? [];
    if (
      args.length < 3 ||
      args.length > 8 ||
      year === undefined ||
      month === undefined ||
      day === undefined
    ) {
      throw badArgs(
        name,
        args,
        "state_bytes[, tzinfo] | year, month, day[, hour, minute, second, microsecond, tzinfo]",
      );
    }
    value = {
      type: "datetime",
      ...{ year, month, day, hour, minute, second, microsecond },
      utcOffsetSeconds: tzOffset(args[7], name),
    };
  }
  const problem = checkDate(value) ?? checkTime(value);
  if (problem !== undefined) throw invalid(name, problem);
  return value;
}

export function callDate(args: Args, _b: NodeBuilder, name: string): Node {
  const state = stateBytes(args[0]);
  let value: Data;
  if (state !== undefined && args.length === 1 && looksLikeDateState(state)) {
    value = unpackDate(state);
  } else {
    const [year, month, day] = intArgs(args) ?? [];
    if (args.length !== 3 || year === undefined || month === undefined || day === undefined) {
      throw badArgs(name, args, "state_bytes | year, month, day");
    }
    value = { type: "date", year, month, day };
  }
  const problem = checkDate(value);
  if (problem !== undefined) throw invalid(name, problem);
  return value;
}

export function callTime(args: Args, _b: NodeBuilder, name: string): Node {
  const state = stateBytes(args[0]);
  let value: Data;
  if (state !== undefined && args.length <= 2 && looksLikeTimeState(state)) {
    value = { ...unpackTime(state), utcOffsetSeconds: tzOffset(args[1], name) };
  } else {
    const ints = intArgs(args.slice(0, 4));
    if (ints === undefined || args.length > 5) {
      throw badArgs(name, args, "state_bytes[, tzinfo] | [hour, minute, second, microsecond, tzinfo]");
    }
    const [hour = 0, minute = 0, second = 0, microsecond = 0] = ints;
    value = { type: "time", hour, minute, second, microsecond, utcOffsetSeconds: tzOffset(args[4], name) };
  }
  const problem = checkTime(value);
  if (problem !== undefined) throw invalid(name, problem);
  return value;
}

export function callTimedelta(args: Args, _b: NodeBuilder, name: string): Node {
  const parts: bigint[] = [];
  for (const arg of args) {
    if (arg.type === "int") parts.push(arg.value);
    else if (arg.type === "bool") parts.push(arg.value ? 1n : 0n);
    else break;
  }
  if (args.length > 3 || parts.length !== args.length)
    throw badArgs(name, args, "[days, seconds, microseconds]");
  const [days = 0n, seconds = 0n, microseconds = 0n] = parts;
  const value = normalizeTimedelta(days, seconds, microseconds);
  if (value === undefined) throw invalid(name, "more than 999999999 days");
  return value;
}

export function callTimezone(args: Args, _b: NodeBuilder, name: string): Node {
  const [offset, tzname] = args;
  if (offset?.type !== "timedelta" || args.length > 2 || (tzname !== undefined && tzname.type !== "str")) {
    throw badArgs(name, args, "timedelta[, str]");
  }
  // The name (as in timezone(timedelta(hours=1), "CET")) is dropped: Data keeps only the offset,
  // and Python compares timezones and aware datetimes by offset alone.
  if (offset.microseconds !== 0) throw invalid(name, "UTC offsets with microseconds are not supported");
  const seconds = offset.days * 86_400 + offset.seconds;
  const problem = checkUtcOffset(seconds);
  if (problem !== undefined) throw invalid(name, problem);
  return new TimezoneNode(seconds);
}
