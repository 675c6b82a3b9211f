import { type Backend, UPLOAD_LEASE_PREFIX } from "../backend/backend.js";
import { AnykvError } from "../errors.js";
import { uploadKey } from "./system-keys.js";

/**
 * How long an upload's lease lasts without a heartbeat, in ms: a crashed uploader's chunks are
 * removed by the next clean-up after this.
 */
export const UPLOAD_LEASE_MS = 30_000;

/** The backend lease of upload `id`: held by its uploader while its chunks are unreferenced. */
const LEASE_PREFIX = UPLOAD_LEASE_PREFIX;
export const uploadLeaseName = (id: string) => LEASE_PREFIX + id;

/** An uploader's hold on its upload's lease, renewed by a heartbeat until released. */
export interface UploadLease {
  /** Takes the lease of upload `id` (before its first chunk is written) and starts the heartbeat. */
  take(id: string): Promise<void>;
  /** Fails with UNAVAILABLE when a heartbeat found the lease taken by another: stop writing. */
  check(): void;
  /**
   * Before the commit: renews the lease and checks that the upload's marker is still there (a
   * clean-up that took the lease while this uploader stalled removed it with the chunks);
   * UNAVAILABLE otherwise, and nothing is committed.
   */
  confirm(): Promise<void>;
  /** Stops the heartbeat and gives the lease up. */
  release(): Promise<void>;
}

/**
 * Holds an upload's lease for `holder`, renewing it every third of `ttlMs`. A clean-up on any
 * server (chunked-values.ts) removes an upload's chunks only when it can take the lease itself,
 * that is when the uploader stopped renewing it: no guess from timestamps.
 */
export function holdUploadLease(backend: Backend, holder: string, ttlMs = UPLOAD_LEASE_MS): UploadLease {
  let name: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lost = false;
  const renew = async () => {
    if (name === undefined) return;
    // A heartbeat that cannot reach the backend is retried at the next beat; only a lease
    // another holder took means the upload must stop.
    if (!(await backend.lease(name, holder, ttlMs).catch(() => true))) lost = true;
  };
  const check = () => {
    if (lost)
      throw new AnykvError(
        "UNAVAILABLE",
        "the upload lost its lease (the server could not renew it in time) and its chunks may be gone; upload again",
      );
  };
  return {
    check,
    async take(id) {
      name = uploadLeaseName(id);
      if (!(await backend.lease(name, holder, ttlMs)))
        throw new AnykvError("UNAVAILABLE", "the upload's lease is held by another server; upload again");
      timer = setInterval(() => void renew(), ttlMs / 3);
      timer.unref();
    },
    async confirm() {
      if (name === undefined) return;
      const renewed = await backend.lease(name, holder, ttlMs);
      if (!renewed || !(await backend.get(uploadKey(name.slice(LEASE_PREFIX.length))))) lost = true;
      check();
    },
    async release() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (name !== undefined) await backend.releaseLease(name, holder).catch(() => undefined);
    },
  };
}
