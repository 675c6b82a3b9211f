import type { Data } from "../../codec/data.js";

/** A moment as Python's datetime.now(timezone.utc): the data tree, and its isoformat(). */
export function utcNow(ms: number): { readonly data: Data; readonly iso: string } {
  const d = new Date(ms);
  const microsecond = d.getUTCMilliseconds() * 1000;
  const data: Data = {
    type: "datetime",
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    microsecond,
    utcOffsetSeconds: 0,
  };
  // isoformat() prints microseconds only when they are not zero.
  const base = d.toISOString().slice(0, 19);
  const iso = `${base}${microsecond ? `.${String(microsecond).padStart(6, "0")}` : ""}+00:00`;
  return { data, iso };
}
