import type { Level } from "level";
import { AnykvError } from "../errors.js";
import type { ChangeEntry } from "./backend.js";
import { prefixEnd } from "./prefixed-backend.js";

// The LevelDB backend's change log. Each group commit writes its writes' entries as one LevelDB
// entry under "g" and the group's last revision (16 digits, so that they sort in order): one
// key per group instead of one per write took a tenth to a quarter off the backend's own CPU
// per write in groups of 22 (bench/README.md, twelfth pass). Data directories written
// before that hold one entry per write under "l" and its revision, all older than any group;
// they are read and compacted as before until compaction has removed them.
const GROUP = "g";
const LOG = "l";
const revisionKey = (space: string, revision: number) => space + String(revision).padStart(16, "0");
const groupKey = (revision: number) => revisionKey(GROUP, revision);
const logKey = (revision: number) => revisionKey(LOG, revision);

// A group's bytes (big-endian): u8 version (1) | u32 entries | per entry: f64 revision | u32 bytes | bytes.
const VERSION = 1;
const HEADER = 1 + 4;
const ENTRY_HEADER = 8 + 4;

type Db = Level<string, Uint8Array>;

export interface LevelChangeLog {
  /** The batch entry of a group's log entries (revisions increasing, the last at most `last`). */
  groupEntry(entries: readonly ChangeEntry[], last: number): [key: string, value: Uint8Array];
  /** The entries with after < revision <= upTo, at most `limit`, in revision order. */
  read(after: number, upTo: number, limit: number): Promise<ChangeEntry[]>;
  /** Removes every entry up to `point` that no reader may ask for (a group may straddle it). */
  compact(point: number): Promise<void>;
}

export async function openLevelChangeLog(db: Db): Promise<LevelChangeLog> {
  // The last entry of the one-per-write layout, if the directory still holds any.
  const [lastOld] = await db.keys({ gte: LOG, lt: prefixEnd(LOG), reverse: true, limit: 1 }).all();
  let oldEnd = lastOld === undefined ? 0 : Number(lastOld.slice(LOG.length));
  return {
    groupEntry: (entries, last) => [groupKey(last), encodeGroup(entries)],
    async read(from, upTo, limit) {
      const entries: ChangeEntry[] = [];
      if (from < oldEnd) {
        const range = { gt: logKey(from), lte: logKey(Math.min(upTo, oldEnd)), limit };
        for await (const [key, change] of db.iterator(range))
          entries.push({ revision: Number(key.slice(LOG.length)), change });
        if (entries.length >= limit) return entries;
      }
      // Groups are keyed by their last revision: the first one past `from` holds the next entry.
      for await (const [, group] of db.iterator({ gt: groupKey(from), lt: prefixEnd(GROUP) })) {
        for (const { revision, change } of decodeGroup(group)) {
          if (revision <= from) continue;
          if (revision > upTo) return entries;
          // A copy: a reader may keep an entry (a slow watcher's queue), which must not keep its group.
          entries.push({ revision, change: new Uint8Array(change) });
          if (entries.length === limit) return entries;
        }
      }
      return entries;
    },
    async compact(point) {
      if (oldEnd > 0) {
        await db.clear({ gte: LOG, lte: logKey(point) });
        if (point >= oldEnd) oldEnd = 0;
      }
      await db.clear({ gte: GROUP, lte: groupKey(point) });
    },
  };
}

function encodeGroup(entries: readonly ChangeEntry[]): Uint8Array {
  let size = HEADER;
  for (const { change } of entries) size += ENTRY_HEADER + change.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt8(VERSION, 0);
  out.writeUInt32BE(entries.length, 1);
  let at = HEADER;
  for (const { revision, change } of entries) {
    out.writeDoubleBE(revision, at);
    out.writeUInt32BE(change.length, at + 8);
    out.set(change, at + ENTRY_HEADER);
    at += ENTRY_HEADER + change.length;
  }
  return out;
}

/** A group's entries, as views of its bytes. */
function decodeGroup(bytes: Uint8Array): ChangeEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER || view.getUint8(0) !== VERSION) throw corrupt();
  const count = view.getUint32(1);
  const entries: ChangeEntry[] = [];
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_HEADER > bytes.length) throw corrupt();
    const revision = view.getFloat64(at);
    const end = at + ENTRY_HEADER + view.getUint32(at + 8);
    if (end > bytes.length) throw corrupt();
    entries.push({ revision, change: bytes.subarray(at + ENTRY_HEADER, end) });
    at = end;
  }
  return entries;
}

function corrupt(): AnykvError {
  return new AnykvError("DECODE_FAILED", "a change log group in LevelDB is corrupt");
}
