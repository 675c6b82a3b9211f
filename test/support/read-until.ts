/**
 * Pulls items from an iterator until `done` holds for what it has read, the iterator ends, or
 * 10 s pass (then it fails, showing what it read).
 */
export async function readUntil<T>(
  items: AsyncIterator<T>,
  done: (seen: readonly T[]) => boolean,
): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + 10_000;
  while (!done(seen)) {
    if (Date.now() > deadline) throw new Error(`nothing more came in 10 s after ${JSON.stringify(seen)}`);
    const next = await items.next();
    if (next.done) break;
    seen.push(next.value);
  }
  return seen;
}
