import type { ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../../gen/anykv/v1/admin_pb.js";
import type { WriteGate } from "../backend/write-gate.js";
import { BACKUP_FORMAT_VERSION } from "../store/backup-format.js";
import type { Store } from "../store/store.js";
import { backupPieces, restoreBackup } from "../store/store-backup.js";
import type { Models } from "./models.js";
import { readOnlyError } from "./read-only-backend.js";

/** What AdminService needs. */
export interface AdminServiceDeps {
  readonly store: Store;
  /** The registered models, reloaded after a restore. */
  readonly models?: Models | undefined;
  /**
   * A read-only server refuses Restore before it reads the stream.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Where Restore keeps the stream until it is verified.
   * @default os.tmpdir()
   */
  readonly tempDir?: string;
  /**
   * Gives Restore the backend to itself while it applies a backup (write-gate.ts): this server's
   * other writes land wholly before or after it.
   */
  readonly exclusiveWrites?: WriteGate["exclusive"] | undefined;
}

/** AdminService: Backup streams a snapshot of the store, Restore replaces the store with one. */
export function createAdminService(deps: AdminServiceDeps): ServiceImpl<typeof AdminService> {
  const backend = deps.store.backend;
  return {
    async *backup(_request, context) {
      for await (const piece of backupPieces(backend, context.signal)) {
        const info = piece.info && {
          revision: BigInt(piece.info.revision),
          records: BigInt(piece.info.records),
          formatVersion: BACKUP_FORMAT_VERSION,
        };
        yield { data: piece.data, records: BigInt(piece.records), ...(info && { info }) };
      }
    },
    async restore(requests, context) {
      if (deps.readOnly) throw readOnlyError();
      const result = await restoreBackup(backend, dataOf(requests), {
        signal: context.signal,
        ...(deps.tempDir !== undefined && { tempDir: deps.tempDir }),
        ...(deps.exclusiveWrites && { exclusive: deps.exclusiveWrites }),
      });
      await deps.models?.reload();
      return {
        records: BigInt(result.records),
        sizeBytes: BigInt(result.sizeBytes),
        revision: BigInt(result.revision),
        backupRevision: BigInt(result.backupRevision),
      };
    },
  };
}

async function* dataOf(requests: AsyncIterable<{ data: Uint8Array }>): AsyncGenerator<Uint8Array> {
  for await (const request of requests) yield request.data;
}
