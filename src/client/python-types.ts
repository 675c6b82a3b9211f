/**
 * JavaScript has no date-only, time-of-day or duration type that round-trips
 * Python's datetime.date, datetime.time and datetime.timedelta, so the client
 * hands those out as these small immutable classes (and sends them back as such).
 */

/** Python datetime.date. */
export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {
    Object.freeze(this);
  }
  toString(): string {
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }
}

/** Python datetime.time; utcOffsetSeconds undefined means naive. */
export class PyTime {
  constructor(
    readonly hour: number,
    readonly minute: number,
    readonly second = 0,
    readonly microsecond = 0,
    readonly utcOffsetSeconds?: number,
  ) {
    Object.freeze(this);
  }
  toString(): string {
    return `${pad(this.hour, 2)}:${pad(this.minute, 2)}:${pad(this.second, 2)}.${pad(this.microsecond, 6)}`;
  }
}

/** Python datetime.timedelta, normalized as Python does (0 <= seconds < 86400, 0 <= microseconds < 1e6). */
export class PyTimedelta {
  constructor(
    readonly days: number,
    readonly seconds = 0,
    readonly microseconds = 0,
  ) {
    Object.freeze(this);
  }
  /** The length in milliseconds (microseconds beyond that are dropped). */
  toMilliseconds(): number {
    return this.days * 86_400_000 + this.seconds * 1000 + Math.trunc(this.microseconds / 1000);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

// Marks that keep Python distinctions JavaScript lacks, without changing the values:
// an array read from a tuple, a Set read from a frozenset, bytes read from a bytearray,
// a Date read from a naive datetime. Written back, they keep their Python type.
const tuples = new WeakSet<readonly unknown[]>();
const frozensets = new WeakSet<ReadonlySet<unknown>>();
const bytearrays = new WeakSet<Uint8Array>();
const naiveDates = new WeakSet<Date>();

/** Marks an array as a Python tuple. */
export function tuple<T extends unknown[]>(...items: T): T {
  tuples.add(items);
  return items;
}
export const isTuple = (v: readonly unknown[]): boolean => tuples.has(v);
export function markTuple<T extends unknown[]>(items: T): T {
  tuples.add(items);
  return items;
}

/** Marks a Set as a Python frozenset. */
export function frozenset<T>(items: Iterable<T>): Set<T> {
  const set = new Set(items);
  frozensets.add(set);
  return set;
}
export const isFrozenset = (v: ReadonlySet<unknown>): boolean => frozensets.has(v);

/** Marks bytes as a Python bytearray. */
export function bytearray(bytes: Uint8Array): Uint8Array {
  bytearrays.add(bytes);
  return bytes;
}
export const isBytearray = (v: Uint8Array): boolean => bytearrays.has(v);

/** Marks a Date as a naive (timezone-less) Python datetime, read as UTC wall-clock time. */
export function naiveDate(date: Date): Date {
  naiveDates.add(date);
  return date;
}
export const isNaiveDate = (v: Date): boolean => naiveDates.has(v);
