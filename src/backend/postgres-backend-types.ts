import { AnykvError } from "../errors.js";
import type { Backend, Condition, ScanRange, StoredRecord, WriteOp } from "./backend.js";

// The backend contract's additions of issue 10 (TEAM.md), as this backend implements them, until
// they land in backend.ts (the contract helper's change): then these names come from there and
// this file goes.

/** One committed write in the change log: the store's encoded events, under the write's revision. */
export interface ChangeEntry {
  readonly revision: number;
  readonly change: Uint8Array;
}

/** A page of the change log: entries in revision order (maybe none), and the revision it reaches. */
export interface ChangePage {
  readonly entries: readonly ChangeEntry[];
  readonly revision: number;
}

export interface ChangesOptions {
  /** @default false */
  readonly follow?: boolean;
  /** @default 1000 */
  readonly progressMs?: number;
  readonly signal?: AbortSignal;
}

export interface BackendSnapshot {
  readonly revision: number;
  scan(range: ScanRange): AsyncIterable<readonly [string, StoredRecord]>;
  close(): Promise<void>;
}

export interface PostgresBackend extends Omit<Backend, "capabilities" | "write"> {
  readonly capabilities: Backend["capabilities"] & {
    readonly changeFeed: boolean;
    readonly nativeTtl: boolean;
    readonly snapshots: boolean;
  };
  write(ops: readonly WriteOp[], conditions?: readonly Condition[], change?: Uint8Array): Promise<number>;
  revision(): Promise<number>;
  changes(after: number, options?: ChangesOptions): AsyncIterable<ChangePage>;
  compact(upTo: number): Promise<void>;
  compacted(): Promise<number>;
  lease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  snapshot(): Promise<BackendSnapshot>;
}

/** COMPACTED for a change log read from `after`, whose oldest available revision is `compacted + 1`. */
export function compactedError(after: number, compacted: number): AnykvError {
  return new AnykvError(
    "COMPACTED",
    `revision ${after + 1} is older than the change log's compaction point; the oldest revision available is ${compacted + 1}`,
    { metadata: { oldestRevision: String(compacted + 1) } },
  );
}

/** A lease needs a name, a holder and a positive ttl (INVALID_ARGUMENT otherwise). */
export function checkLease(name: string, holder: string, ttlMs: number): void {
  if (name === "" || holder === "" || !(ttlMs > 0))
    throw new AnykvError("INVALID_ARGUMENT", "a lease needs a name, a holder and a positive ttl");
}
