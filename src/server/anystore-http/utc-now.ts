import type { Data } from "../../codec/data.js";
import { utcDateTime } from "../../codec/utc-datetime.js";

/** A moment as Python's datetime.now(timezone.utc): the data tree, and its isoformat(). */
export function utcNow(ms: number): { readonly data: Data; readonly iso: string } {
  const data = utcDateTime(ms);
  // isoformat() prints microseconds only when they are not zero.
  const base = new Date(ms).toISOString().slice(0, 19);
  const micros = data.microsecond ? `.${String(data.microsecond).padStart(6, "0")}` : "";
  return { data, iso: `${base}${micros}+00:00` };
}
