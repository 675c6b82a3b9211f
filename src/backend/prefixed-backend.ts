import type { Backend, BackendSnapshot, ScanRange, WriteOp } from "./backend.js";

/**
 * A view of `backend` under a key prefix, like abstract-level's sublevels:
 * namespaces are prefixed views, and the conformance suite runs again on one.
 * The view shares the parent's revision counter, change log, compaction point
 * and leases (they are the backend's, not a key range's: changes() yields
 * every entry, whatever keys its write touched) and does not own them:
 * close() is a no-op.
 */
export function createPrefixedBackend(backend: Backend, prefix: string): Backend {
  const outer = (key: string) => prefix + key;
  const inner = (range: ScanRange): ScanRange => {
    // Without an upper bound, stop at the first key after every key under the prefix.
    const lt = range.lt === undefined ? prefixEnd(prefix) : outer(range.lt);
    return { ...range, gte: outer(range.gte ?? ""), ...(lt === "" ? {} : { lt }) };
  };
  const view: Backend = {
    capabilities: backend.capabilities,
    get: (key) => backend.get(outer(key)),
    getMany: (keys) => backend.getMany(keys.map(outer)),
    write: (ops, conditions = [], change, queued) =>
      backend.write(
        ops.map((op): WriteOp => ({ ...op, key: outer(op.key) })),
        conditions.map((c) => ({ ...c, key: outer(c.key) })),
        change,
        queued,
      ),
    revision: () => backend.revision(),
    changes: (after, options) => backend.changes(after, options),
    compact: (upTo) => backend.compact(upTo),
    compacted: () => backend.compacted(),
    lease: (name, holder, ttlMs) => backend.lease(name, holder, ttlMs),
    releaseLease: (name, holder) => backend.releaseLease(name, holder),
    async *scan(range) {
      for await (const [key, record] of backend.scan(inner(range)))
        yield [key.slice(prefix.length), record] as const;
    },
    async *scanKeys(range) {
      for await (const page of backend.scanKeys(inner(range)))
        yield page.map((key) => key.slice(prefix.length));
    },
    close: async () => {},
  };
  const snapshot = backend.snapshot?.bind(backend);
  if (snapshot) {
    view.snapshot = async (): Promise<BackendSnapshot> => {
      const whole = await snapshot();
      return {
        revision: whole.revision,
        async *scan(range) {
          for await (const [key, record] of whole.scan(inner(range)))
            yield [key.slice(prefix.length), record] as const;
        },
        close: () => whole.close(),
      };
    };
  }
  return view;
}

/** The smallest string greater than every string that starts with `prefix` ("" when there is none). */
export function prefixEnd(prefix: string): string {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    // Skip the surrogate range, which no well-formed key contains.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    if (next <= 0x10ffff) return points.join("") + String.fromCodePoint(next);
  }
  return "";
}
