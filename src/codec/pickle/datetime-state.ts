import type { DataDate, DataDateTime, DataTime, DataTimedelta } from "../data.js";

/**
 * The datetime module's pickled state: datetime, date and time reduce to
 * `cls(state_bytes[, tzinfo])`, where the bytes are the C struct's fields
 * (big-endian year, then one byte per field, a 3-byte microsecond). Shared by
 * the writer and the reader so that both agree on the layout and the ranges.
 *
 * The check functions return a problem description or undefined, so that the
 * writer can report it as INVALID_VALUE and the reader as DECODE_FAILED.
 */

const DATETIME_STATE_SIZE = 10;
const DATE_STATE_SIZE = 4;
const TIME_STATE_SIZE = 6;
/** Python's timedelta.max.days. */
const MAX_TIMEDELTA_DAYS = 999_999_999;

/** Protocol 4+ sets this bit in the month (datetime) or hour (time) byte for fold=1. */
const FOLD_BIT = 0x80;

function isIntIn(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function checkDate(d: { year: number; month: number; day: number }): string | undefined {
  if (!isIntIn(d.year, 1, 9999)) return `year ${d.year} is outside 1..9999`;
  if (!isIntIn(d.month, 1, 12)) return `month ${d.month} is outside 1..12`;
  const last = daysInMonth(d.year, d.month);
  if (!isIntIn(d.day, 1, last)) return `day ${d.day} is outside 1..${last}`;
  return undefined;
}

export function checkTime(t: {
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  utcOffsetSeconds?: number | undefined;
}): string | undefined {
  if (!isIntIn(t.hour, 0, 23)) return `hour ${t.hour} is outside 0..23`;
  if (!isIntIn(t.minute, 0, 59)) return `minute ${t.minute} is outside 0..59`;
  if (!isIntIn(t.second, 0, 59)) return `second ${t.second} is outside 0..59`;
  if (!isIntIn(t.microsecond, 0, 999_999)) return `microsecond ${t.microsecond} is outside 0..999999`;
  if (t.utcOffsetSeconds !== undefined) return checkUtcOffset(t.utcOffsetSeconds);
  return undefined;
}

/** datetime.timezone accepts offsets strictly inside ±24 h; whole seconds is what Data holds. */
export function checkUtcOffset(seconds: number): string | undefined {
  return isIntIn(seconds, -86_399, 86_399)
    ? undefined
    : `UTC offset ${seconds} s is not a whole number of seconds strictly inside ±24 h`;
}

export function checkTimedelta(td: DataTimedelta): string | undefined {
  if (!isIntIn(td.days, -MAX_TIMEDELTA_DAYS, MAX_TIMEDELTA_DAYS))
    return `timedelta days ${td.days} is outside ±${MAX_TIMEDELTA_DAYS}`;
  if (!isIntIn(td.seconds, 0, 86_399)) return `timedelta seconds ${td.seconds} is not normalized to 0..86399`;
  if (!isIntIn(td.microseconds, 0, 999_999))
    return `timedelta microseconds ${td.microseconds} is not normalized to 0..999999`;
  return undefined;
}

/** What timedelta(days, seconds, microseconds) normalizes to, or undefined when Python would overflow. */
export function normalizeTimedelta(
  days: bigint,
  seconds: bigint,
  microseconds: bigint,
): DataTimedelta | undefined {
  const total = (days * 86_400n + seconds) * 1_000_000n + microseconds;
  // Floor division, as Python's divmod does for negative values.
  const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
  const totalSeconds = floorDiv(total, 1_000_000n);
  const d = floorDiv(totalSeconds, 86_400n);
  if (d > BigInt(MAX_TIMEDELTA_DAYS) || d < BigInt(-MAX_TIMEDELTA_DAYS)) return undefined;
  return {
    type: "timedelta",
    days: Number(d),
    seconds: Number(totalSeconds - d * 86_400n),
    microseconds: Number(total - totalSeconds * 1_000_000n),
  };
}

export function packDateTime(v: DataDateTime): Uint8Array {
  const us = v.microsecond;
  return Uint8Array.of(
    v.year >> 8,
    v.year & 0xff,
    v.month,
    v.day,
    v.hour,
    v.minute,
    v.second,
    (us >> 16) & 0xff,
    (us >> 8) & 0xff,
    us & 0xff,
  );
}

export function packDate(v: DataDate): Uint8Array {
  return Uint8Array.of(v.year >> 8, v.year & 0xff, v.month, v.day);
}

export function packTime(v: DataTime): Uint8Array {
  const us = v.microsecond;
  return Uint8Array.of(v.hour, v.minute, v.second, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff);
}

/**
 * CPython takes the one-argument form as state only when it "looks like"
 * state: the right size and a sane month (datetime, date) or hour (time).
 * Otherwise the argument is a year or an hour for the ordinary constructor.
 */
export function looksLikeDateTimeState(s: Uint8Array): boolean {
  const month = (s[2] ?? 0) & ~FOLD_BIT;
  return s.length === DATETIME_STATE_SIZE && month >= 1 && month <= 12;
}

export function looksLikeDateState(s: Uint8Array): boolean {
  const month = s[2] ?? 0;
  return s.length === DATE_STATE_SIZE && month >= 1 && month <= 12;
}

export function looksLikeTimeState(s: Uint8Array): boolean {
  return s.length === TIME_STATE_SIZE && ((s[0] ?? 0) & ~FOLD_BIT) < 24;
}

const byte = (s: Uint8Array, i: number): number => s[i] ?? 0;
const micro = (s: Uint8Array, i: number): number =>
  (byte(s, i) << 16) | (byte(s, i + 1) << 8) | byte(s, i + 2);

/** Fields of a datetime state; the fold bit is dropped because Data has no fold. */
export function unpackDateTime(s: Uint8Array): Omit<DataDateTime, "utcOffsetSeconds"> {
  return {
    type: "datetime",
    year: (byte(s, 0) << 8) | byte(s, 1),
    month: byte(s, 2) & ~FOLD_BIT,
    day: byte(s, 3),
    hour: byte(s, 4),
    minute: byte(s, 5),
    second: byte(s, 6),
    microsecond: micro(s, 7),
  };
}

export function unpackDate(s: Uint8Array): DataDate {
  return { type: "date", year: (byte(s, 0) << 8) | byte(s, 1), month: byte(s, 2), day: byte(s, 3) };
}

export function unpackTime(s: Uint8Array): Omit<DataTime, "utcOffsetSeconds"> {
  return {
    type: "time",
    hour: byte(s, 0) & ~FOLD_BIT,
    minute: byte(s, 1),
    second: byte(s, 2),
    microsecond: micro(s, 3),
  };
}
