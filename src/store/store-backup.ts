import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend, ScanRange, StoredRecord, WriteOp } from "../backend/backend.js";
import type { WriteGate } from "../backend/write-gate.js";
import { BackupReader, BackupWriter } from "./backup-format.js";

/** A piece of a backup stream. */
export interface BackupPiece {
  /** On the first piece: the snapshot's revision, and about how many records follow (for progress). */
  readonly info?: { readonly revision: number; readonly records: number };
  readonly data: Uint8Array;
  /** Records in the pieces so far. */
  readonly records: number;
}

/** A consistent read of the backend (Backend.snapshot), or the closest this backend offers. */
interface Snapshot {
  readonly revision: number;
  scan(range: ScanRange): AsyncIterable<readonly [string, StoredRecord]>;
  close(): Promise<void>;
}

/** Backends that read a point in time and tell their revision (the contract's optional methods). */
type SnapshotBackend = Backend & { snapshot?: () => Promise<Snapshot>; revision?: () => Promise<number> };

async function openSnapshot(backend: Backend): Promise<Snapshot> {
  const snapshot = (backend as SnapshotBackend).snapshot;
  if (snapshot) return snapshot.call(backend);
  // Without snapshots, one scan is one read (a LevelDB iterator reads a point in time).
  return {
    revision: await currentRevision(backend),
    scan: (range) => backend.scan(range),
    close: async () => {},
  };
}

function currentRevision(backend: Backend): Promise<number> {
  const revision = (backend as SnapshotBackend).revision;
  return revision ? revision.call(backend) : backend.write([]);
}

/** Most bytes of one piece of a backup stream (BackupResponse.data). */
const PIECE_BYTES = 1024 * 1024;

/**
 * Streams a backup of every record of the backend (backup-format.ts), read from one snapshot.
 * The first piece says about how many records follow: a count of the keys (pages of keys, no
 * values), so that progress can show a rate and the time left.
 */
export async function* backupPieces(backend: Backend, signal?: AbortSignal): AsyncGenerator<BackupPiece> {
  const snapshot = await openSnapshot(backend);
  try {
    const range = signal ? { signal } : {};
    let estimate = 0;
    for await (const page of backend.scanKeys(range)) estimate += page.length;
    signal?.throwIfAborted();
    const writer = new BackupWriter();
    const start = writer.start({ revision: snapshot.revision, createdAt: Date.now() });
    yield { info: { revision: snapshot.revision, records: estimate }, data: start, records: 0 };
    let records = 0;
    let piece: Buffer[] = [];
    let pieceBytes = 0;
    for await (const [key, record] of snapshot.scan(range)) {
      const bytes = writer.record(key, record);
      records++;
      piece.push(bytes);
      pieceBytes += bytes.length;
      if (pieceBytes >= PIECE_BYTES) {
        yield { data: Buffer.concat(piece, pieceBytes), records };
        piece = [];
        pieceBytes = 0;
      }
    }
    signal?.throwIfAborted();
    piece.push(writer.end());
    yield { data: Buffer.concat(piece), records };
  } finally {
    await snapshot.close();
  }
}

/** What a restore did. */
export interface RestoreResult {
  readonly records: number;
  readonly sizeBytes: number;
  /** The backend's revision after the restore. */
  readonly revision: number;
  /** The revision the backup was taken at. */
  readonly backupRevision: number;
}

export interface RestoreOptions {
  /**
   * Where the stream is kept until it is verified.
   * @default os.tmpdir()
   */
  readonly tempDir?: string;
  readonly signal?: AbortSignal;
  /**
   * Runs the apply phase (once the backup is verified) with the backend to itself, so that other
   * writes land wholly before or after it (write-gate.ts); the task gets the backend to write to.
   * Without it, writes made meanwhile interleave with the restore's.
   */
  readonly exclusive?: WriteGate["exclusive"];
}

/** Records per backend write while a verified backup is applied. */
const APPLY_OPS = 8192;
const APPLY_BYTES = 8 * 1024 * 1024;

/**
 * Replaces every record of the backend with a backup's. The stream is first written to a
 * temporary file while its frames are checked (format, every CRC-32, the trailer's count and
 * SHA-256): a truncated or corrupt backup throws INVALID_ARGUMENT before anything changes. Then
 * the backend's records are deleted and the backup's written, in batches (not one atomic write:
 * should the backend fail midway, restoring again finishes the job).
 */
export async function restoreBackup(
  backend: Backend,
  source: AsyncIterable<Uint8Array>,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "anykv-restore-"));
  try {
    const file = join(dir, "backup");
    const checked = new BackupReader(false);
    let sizeBytes = 0;
    const handle = await open(file, "w");
    try {
      for await (const piece of source) {
        checked.push(piece);
        await handle.write(piece);
        sizeBytes += piece.length;
      }
    } finally {
      await handle.close();
    }
    checked.finish();
    options.signal?.throwIfAborted();
    const exclusive = options.exclusive ?? ((task) => task(backend));
    const applied = await exclusive((target) => applyBackup(target, file));
    return { ...applied, sizeBytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deletes every record, then writes the verified backup's (`file`), in batches. */
async function applyBackup(backend: Backend, file: string): Promise<Omit<RestoreResult, "sizeBytes">> {
  for await (const page of backend.scanKeys({})) {
    await backend.write(page.map((key): WriteOp => ({ type: "del", key })));
  }
  const reader = new BackupReader();
  let revision = 0;
  let ops: WriteOp[] = [];
  let opsBytes = 0;
  // One batch is written while the next is read: the backend's I/O and the parsing overlap.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    const batch = ops;
    ops = [];
    opsBytes = 0;
    await inFlight;
    if (batch.length > 0)
      inFlight = backend.write(batch).then((r) => {
        revision = r;
      });
  };
  for await (const piece of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    for (const [key, record] of reader.push(piece as Buffer)) {
      ops.push({ type: "put", key, record });
      opsBytes += record.value.length;
      if (ops.length >= APPLY_OPS || opsBytes >= APPLY_BYTES) await flush();
    }
  }
  await flush();
  await inFlight;
  reader.finish();
  if (revision === 0) revision = await currentRevision(backend);
  return { records: reader.records, revision, backupRevision: reader.header?.revision ?? 0 };
}
