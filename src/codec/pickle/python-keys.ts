import type { Data } from "../data.js";

/**
 * Python's equality for hashable values, as small integers: two values get
 * the same id exactly when Python would treat them as the same dict key or
 * set item. Both directions need it: the writer refuses a Data dict or set
 * that Python would collapse (1, 1.0 and True are one key; so are two aware
 * datetimes at the same instant), and the reader applies Python's "last
 * write wins" to pickles that repeat a key.
 *
 * Ids are interned from canonical strings, and a container's string lists
 * its items' ids rather than their text, so a deeply shared tuple costs its
 * arity, not its expanded size. Ids are cached per object: a memo reference
 * reuses the id, which also gives NaN Python's identity semantics (the same
 * NaN object equals itself; two NaN objects are different keys).
 */
export class PythonKeys {
  private readonly interned = new Map<string, number>();
  private readonly byObject = new WeakMap<object, number>();
  private next = 0;

  /** The equality id of `d`, or undefined when Python cannot hash it. */
  idOf(d: Data): number | undefined {
    const cached = this.byObject.get(d);
    if (cached !== undefined) return cached;
    const canonical = this.canonical(d);
    if (canonical === undefined) return undefined;
    let id: number;
    if (canonical === null) {
      id = this.next++;
    } else {
      const known = this.interned.get(canonical);
      if (known === undefined) {
        id = this.next++;
        this.interned.set(canonical, id);
      } else {
        id = known;
      }
    }
    this.byObject.set(d, id);
    return id;
  }

  /** null: equal only to itself (NaN); undefined: unhashable. */
  private canonical(d: Data): string | null | undefined {
    switch (d.type) {
      case "none":
        return "N";
      case "bool":
        return d.value ? "i1" : "i0";
      case "int":
        return `i${d.value.toString(16)}`;
      case "float":
        if (Number.isNaN(d.value)) return null;
        // Integral floats equal the int of the same value (2.0 == 2, -0.0 == 0).
        return Number.isInteger(d.value) ? `i${BigInt(d.value).toString(16)}` : `f${d.value}`;
      case "str":
        return `s${d.value}`;
      case "bytes":
        return `b${latin1(d.value)}`;
      case "tuple": {
        const ids: number[] = [];
        for (const item of d.items) {
          const id = this.idOf(item);
          if (id === undefined) return undefined;
          ids.push(id);
        }
        return `t${ids.join(",")}`;
      }
      case "frozenset": {
        const ids = new Set<number>();
        for (const item of d.items) {
          const id = this.idOf(item);
          if (id === undefined) return undefined;
          ids.add(id);
        }
        return `z${[...ids].sort((a, b) => a - b).join(",")}`;
      }
      case "datetime": {
        const clock = d.hour * 3600 + d.minute * 60 + d.second;
        if (d.utcOffsetSeconds === undefined)
          return `dn${d.year}-${d.month}-${d.day} ${clock}.${d.microsecond}`;
        // Aware datetimes are equal when they are the same instant.
        return `da${daysFromCivil(d.year, d.month, d.day) * 86_400 + clock - d.utcOffsetSeconds}.${d.microsecond}`;
      }
      case "date":
        return `D${d.year}-${d.month}-${d.day}`;
      case "time": {
        const clock = d.hour * 3600 + d.minute * 60 + d.second;
        return d.utcOffsetSeconds === undefined
          ? `tn${clock}.${d.microsecond}`
          : `ta${clock - d.utcOffsetSeconds}.${d.microsecond}`;
      }
      case "timedelta":
        return `T${d.days * 86_400 + d.seconds}.${d.microseconds}`;
      case "bytearray":
      case "list":
      case "set":
      case "dict":
      case "code":
        return undefined;
    }
  }
}

function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
