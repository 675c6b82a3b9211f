/**
 * Compares keys by Unicode code point, which is the byte order of their UTF-8
 * form and so the order LevelDB, Redis and PostgreSQL (C collation) use.
 * JavaScript's `<` compares UTF-16 code units, which differs for astral characters.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Whether `key` lies in the range. */
export function inRange(key: string, range: { gte?: string; lt?: string }): boolean {
  return (
    (range.gte === undefined || compareKeys(key, range.gte) >= 0) &&
    (range.lt === undefined || compareKeys(key, range.lt) < 0)
  );
}
