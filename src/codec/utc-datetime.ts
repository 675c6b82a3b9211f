import type { DataDateTime } from "./data.js";

/** A moment as Python's datetime.now(timezone.utc) would hold it: a timezone-aware UTC datetime. */
export function utcDateTime(ms: number): DataDateTime {
  const d = new Date(ms);
  return {
    type: "datetime",
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    microsecond: d.getUTCMilliseconds() * 1000,
    utcOffsetSeconds: 0,
  };
}
