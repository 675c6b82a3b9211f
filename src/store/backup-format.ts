import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import type { RecordMeta, StoredRecord } from "../backend/backend.js";
import { AnykvError } from "../errors.js";

/**
 * anykv's backup format, version 1: every record of the backend as it is stored (values, their
 * metadata, the chunks of large values, registered models, the expiry index), in key order.
 *
 *   file    := MAGIC version:u32 frame* trailer
 *   frame   := length:u32 type:u8 payload[length] crc32(type, payload):u32
 *   header  := type 1, JSON { revision, createdAt }
 *   record  := type 2, keyLength:u32 key metaLength:u32 metaJSON value
 *   trailer := type 3, records:u64 sha256(every byte before the trailer frame)[32]
 *
 * Integers are big-endian. Each frame's CRC-32 finds a corrupt record where it is; the trailer's
 * SHA-256 and count prove that nothing is missing, reordered or added.
 */
export const BACKUP_FORMAT_VERSION = 1;
const MAGIC = Buffer.from("ANYKVBAK", "latin1");
const PREAMBLE = MAGIC.length + 4;
const FRAME_OVERHEAD = 4 + 1 + 4;
const HEADER = 1;
const RECORD = 2;
const TRAILER = 3;
const TRAILER_PAYLOAD = 8 + 32;
/** Longest frame a reader accepts (a corrupt length must not make it buffer without end). */
const MAX_FRAME = 1024 * 1024 * 1024;

/** What a backup's header says. */
export interface BackupHeader {
  /** The store's revision at the snapshot. */
  readonly revision: number;
  /** When the backup was taken, in milliseconds since the epoch. */
  readonly createdAt: number;
}

function frame(type: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_OVERHEAD + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out[4] = type;
  out.set(payload, 5);
  out.writeUInt32BE(crc32(out.subarray(4, 5 + payload.length)), 5 + payload.length);
  return out;
}

function metaJson(meta: RecordMeta): string {
  return JSON.stringify(meta);
}

/** Writes a backup: preamble and header first, then records in order, then the trailer. */
export class BackupWriter {
  private readonly hash: Hash = createHash("sha256");
  private count = 0;

  /** The preamble and the header frame. */
  start(header: BackupHeader): Buffer {
    const version = Buffer.alloc(4);
    version.writeUInt32BE(BACKUP_FORMAT_VERSION);
    return this.hashed(Buffer.concat([MAGIC, version, frame(HEADER, Buffer.from(JSON.stringify(header)))]));
  }

  record(key: string, record: StoredRecord): Buffer {
    const keyBytes = Buffer.from(key);
    const meta = Buffer.from(metaJson(record.meta));
    const payload = Buffer.allocUnsafe(8 + keyBytes.length + meta.length + record.value.length);
    payload.writeUInt32BE(keyBytes.length, 0);
    payload.set(keyBytes, 4);
    payload.writeUInt32BE(meta.length, 4 + keyBytes.length);
    payload.set(meta, 8 + keyBytes.length);
    payload.set(record.value, 8 + keyBytes.length + meta.length);
    this.count++;
    return this.hashed(frame(RECORD, payload));
  }

  end(): Buffer {
    const payload = Buffer.allocUnsafe(TRAILER_PAYLOAD);
    payload.writeBigUInt64BE(BigInt(this.count), 0);
    this.hash.digest().copy(payload, 8);
    return frame(TRAILER, payload);
  }

  private hashed(bytes: Buffer): Buffer {
    this.hash.update(bytes);
    return bytes;
  }
}

/** A backup that cannot be restored: truncated, corrupt, or not a backup at all. */
function corrupt(why: string, at: number): AnykvError {
  return new AnykvError("INVALID_ARGUMENT", `the backup is ${why} (at byte ${at}); nothing was restored`, {
    metadata: { offset: String(at) },
  });
}

/**
 * Reads a backup as its bytes arrive, in pieces of any size, checking as it goes: the preamble,
 * the header, each frame's CRC-32, and at the end the trailer's count and SHA-256. push() returns
 * the records the new bytes completed; finish() throws unless the backup ended exactly at a
 * verified trailer.
 */
export class BackupReader {
  /**
   * @param parse Return the records (true), or only check the frames (false: lengths, CRC-32s,
   *   the trailer), which is what deciding whether a backup is whole and intact takes.
   */
  constructor(private readonly parse = true) {}

  private readonly hash: Hash = createHash("sha256");
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private offset = 0;
  private count = 0;
  private started = false;
  private ended = false;
  header: BackupHeader | undefined;

  push(piece: Uint8Array): Array<readonly [string, StoredRecord]> {
    if (piece.length === 0) return [];
    if (this.ended) throw corrupt("followed by bytes after its trailer", this.offset);
    this.pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    this.pendingBytes += piece.length;
    const records: Array<readonly [string, StoredRecord]> = [];
    if (!this.started) {
      if (this.pendingBytes < PREAMBLE) return records;
      const preamble = this.take(PREAMBLE, true);
      if (!preamble.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt("not an anykv backup", 0);
      const version = preamble.readUInt32BE(MAGIC.length);
      if (version !== BACKUP_FORMAT_VERSION)
        throw corrupt(
          `in format version ${version}, and this server reads version ${BACKUP_FORMAT_VERSION}`,
          8,
        );
      this.started = true;
    }
    while (!this.ended && this.pendingBytes >= 5) {
      const head = this.peek(5);
      const length = head.readUInt32BE(0);
      const type = head[4]!;
      if (length > MAX_FRAME || ![HEADER, RECORD, TRAILER].includes(type))
        throw corrupt("corrupt (a frame header that makes no sense)", this.offset);
      if (this.pendingBytes < FRAME_OVERHEAD + length) break;
      const at = this.offset;
      // The trailer's hash covers everything before it, so it is not hashed itself.
      const bytes = this.take(FRAME_OVERHEAD + length, type !== TRAILER);
      const body = bytes.subarray(4, 5 + length);
      if (crc32(body) !== bytes.readUInt32BE(5 + length))
        throw corrupt("corrupt (a CRC-32 does not match)", at);
      const payload = body.subarray(1);
      if ((type === HEADER) !== (this.header === undefined))
        throw corrupt("corrupt (the header is not the first frame)", at);
      if (type === HEADER) this.header = parseHeader(payload, at);
      else if (type === RECORD) {
        if (this.parse) records.push(parseRecord(payload, at));
        else checkRecord(payload, at);
        this.count++;
      } else this.checkTrailer(payload, at);
    }
    return records;
  }

  /** Throws unless the whole backup, trailer included, has been read and verified. */
  finish(): void {
    if (!this.ended) throw corrupt("truncated: it ends before its trailer", this.offset + this.pendingBytes);
  }

  /** Records read so far. */
  get records(): number {
    return this.count;
  }

  private checkTrailer(payload: Buffer, at: number): void {
    if (payload.length !== TRAILER_PAYLOAD) throw corrupt("corrupt (a trailer of the wrong size)", at);
    const count = Number(payload.readBigUInt64BE(0));
    if (count !== this.count)
      throw corrupt(`corrupt (its trailer counts ${count} records, it holds ${this.count})`, at);
    if (!this.hash.digest().equals(payload.subarray(8)))
      throw corrupt("corrupt (the SHA-256 does not match)", at);
    this.ended = true;
    if (this.pendingBytes > 0) throw corrupt("followed by bytes after its trailer", this.offset);
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length < n) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0]!.subarray(0, n);
  }

  private take(n: number, hashed: boolean): Buffer {
    if (this.pending[0]!.length < n) this.pending = [Buffer.concat(this.pending)];
    const first = this.pending[0]!;
    const bytes = first.subarray(0, n);
    if (first.length === n) this.pending.shift();
    else this.pending[0] = first.subarray(n);
    this.pendingBytes -= n;
    this.offset += n;
    if (hashed) this.hash.update(bytes);
    return bytes;
  }
}

function parseHeader(payload: Buffer, at: number): BackupHeader {
  try {
    const header = JSON.parse(payload.toString("utf8")) as BackupHeader;
    if (Number.isSafeInteger(header.revision) && Number.isSafeInteger(header.createdAt)) return header;
  } catch {}
  throw corrupt("corrupt (its header is not valid)", at);
}

/** A record's key length and where its value starts; throws when they do not fit the frame. */
function checkRecord(payload: Buffer, at: number): { keyLength: number; valueAt: number } {
  const fail = () => corrupt("corrupt (a record that does not parse)", at);
  if (payload.length < 8) throw fail();
  const keyLength = payload.readUInt32BE(0);
  if (4 + keyLength + 4 > payload.length) throw fail();
  const valueAt = 8 + keyLength + payload.readUInt32BE(4 + keyLength);
  if (valueAt > payload.length) throw fail();
  return { keyLength, valueAt };
}

function parseRecord(payload: Buffer, at: number): readonly [string, StoredRecord] {
  const fail = () => corrupt("corrupt (a record that does not parse)", at);
  const { keyLength, valueAt } = checkRecord(payload, at);
  const key = payload.toString("utf8", 4, 4 + keyLength);
  let meta: RecordMeta;
  try {
    meta = JSON.parse(payload.toString("utf8", 8 + keyLength, valueAt)) as RecordMeta;
  } catch {
    throw fail();
  }
  // A copy: a view would keep the whole piece it arrived in alive.
  return [key, { meta, value: new Uint8Array(payload.subarray(valueAt)) }] as const;
}
