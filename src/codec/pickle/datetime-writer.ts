import type { DataDate, DataDateTime, DataTime, DataTimedelta } from "../data.js";
import { checkDate, checkTime, checkTimedelta, packDate, packDateTime, packTime } from "./datetime-state.js";
import type { PicklerCore } from "./pickler-core.js";
import { invalid } from "./writer-checks.js";

/**
 * datetime, date, time, timedelta and timezone exactly as CPython 3 pickles
 * them with protocol 4: `datetime(state_bytes[, tzinfo])`, the tzinfo as
 * `timezone(timedelta(days, seconds, 0))`, a timedelta as
 * `timedelta(days, seconds, microseconds)`.
 */
export class DatetimeWriter {
  /** Memo index of timezone.utc, a singleton in CPython: pickled once, referenced after. */
  private utc: number | undefined;

  constructor(private readonly core: PicklerCore) {}

  saveDateTime(d: DataDateTime): void {
    const problem = checkDate(d) ?? checkTime(d);
    if (problem !== undefined) throw invalid(`datetime ${problem}`);
    this.withState("datetime", packDateTime(d), d.utcOffsetSeconds);
  }

  saveDate(d: DataDate): void {
    const problem = checkDate(d);
    if (problem !== undefined) throw invalid(`date ${problem}`);
    this.withState("date", packDate(d), undefined);
  }

  saveTime(d: DataTime): void {
    const problem = checkTime(d);
    if (problem !== undefined) throw invalid(`time ${problem}`);
    this.withState("time", packTime(d), d.utcOffsetSeconds);
  }

  saveTimedelta(d: DataTimedelta): void {
    const problem = checkTimedelta(d);
    if (problem !== undefined) throw invalid(problem);
    this.core.reduce("datetime", "timedelta", 3, () => {
      this.core.saveInt(BigInt(d.days));
      this.core.saveInt(BigInt(d.seconds));
      this.core.saveInt(BigInt(d.microseconds));
    });
    this.core.out.boundary();
  }

  private withState(name: string, state: Uint8Array, utcOffsetSeconds: number | undefined): void {
    const aware = utcOffsetSeconds !== undefined;
    this.core.reduce("datetime", name, aware ? 2 : 1, () => {
      this.core.saveBytes(state);
      if (aware) this.saveTimezone(utcOffsetSeconds);
    });
  }

  private saveTimezone(offset: number): void {
    const core = this.core;
    if (offset === 0 && this.utc !== undefined) {
      core.get(this.utc);
      core.out.boundary();
      return;
    }
    const days = Math.floor(offset / 86_400);
    const seconds = offset - days * 86_400;
    const index = core.reduce("datetime", "timezone", 1, () =>
      this.saveTimedelta({ type: "timedelta", days, seconds, microseconds: 0 }),
    );
    // timezone(timedelta(0)) is the timezone.utc singleton in CPython, so later uses reference it.
    if (offset === 0) this.utc = index;
    core.out.boundary();
  }
}
