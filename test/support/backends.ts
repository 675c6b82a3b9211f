import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { inject } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { openLevelBackend } from "../../src/backend/leveldb-backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { openPostgresBackend } from "../../src/backend/postgres-backend.js";
import { openRedisBackend } from "../../src/backend/redis-backend.js";
import { freshSchema, testPostgresUrl } from "./postgres-server.js";
import { tempDir } from "./temp-dir.js";

/**
 * How the shared test suites get backends: the conformance suite (test/backend/backend-suite.ts)
 * and the store tests run once per factory in `backendFactories`. See test/backend/README.md.
 */
export interface BackendFactory {
  /** Shown in the test names ("backend conformance: leveldb (sync always)"). */
  readonly name: string;
  /**
   * A fresh, empty backend with data of its own: its records, revision, change log, compaction
   * point and leases are nobody else's (a server engine opens it under a random key prefix,
   * schema or database, so that test files running at once do not meet).
   */
  create(): Promise<Backend>;
  /** Closes `backend` and opens the same data again (persistent backends). */
  reopen?(backend: Backend): Promise<Backend>;
  /**
   * A second handle on the same data, as another anykv process would open it (shared
   * backends): writes through one are seen, and leases are exclusive, across both.
   */
  attach?(backend: Backend): Promise<Backend>;
}

/** LevelDB in a temp directory of the test file, with each durability setting. */
export function leveldbFactory(sync: "always" | "none" = "always"): BackendFactory {
  let root: string | undefined;
  let n = 0;
  const locations = new WeakMap<Backend, string>();
  return {
    name: `leveldb (sync ${sync})`,
    async create() {
      root ??= tempDir();
      const location = join(root, `db${n++}`);
      const backend = await openLevelBackend({ location, sync });
      locations.set(backend, location);
      return backend;
    },
    async reopen(backend) {
      const location = locations.get(backend)!;
      await backend.close();
      const again = await openLevelBackend({ location, sync });
      locations.set(again, location);
      return again;
    },
  };
}

export const memoryFactory: BackendFactory = { name: "memory", create: async () => createMemoryBackend() };

/**
 * Redis: each backend a store of its own on the run's redis-server (test/support/global-setup.ts),
 * under a random key prefix that is also its hash tag.
 */
export function redisFactory(): BackendFactory {
  const prefixes = new WeakMap<Backend, string>();
  const open = async (keyPrefix: string) => {
    const backend: Backend = await openRedisBackend({ url: inject("redisUrl"), keyPrefix });
    prefixes.set(backend, keyPrefix);
    return backend;
  };
  return {
    name: "redis",
    create: () => open(`{t-${randomUUID()}}:`),
    async reopen(backend) {
      await backend.close();
      return open(prefixes.get(backend)!);
    },
    attach: (backend) => open(prefixes.get(backend)!),
  };
}

/** PostgreSQL: each backend a schema of its own on the run's cluster (postgres-global-setup.ts). */
export function postgresFactory(): BackendFactory {
  const schemas = new WeakMap<Backend, string>();
  const open = async (schema: string) => {
    const backend: Backend = await openPostgresBackend({ url: testPostgresUrl(), schema });
    schemas.set(backend, schema);
    return backend;
  };
  return {
    name: "postgres",
    create: () => open(freshSchema()),
    async reopen(backend) {
      await backend.close();
      return open(schemas.get(backend)!);
    },
    attach: (backend) => open(schemas.get(backend)!),
  };
}

/**
 * Every backend the suites run on. redis and postgres add theirs here (each starts or finds its
 * engine through the project's scripts; a missing engine is a failure, never a skip).
 * tempDir() registers an afterAll hook, so call create() inside tests or hooks only.
 */
export const backendFactories: readonly BackendFactory[] = [
  memoryFactory,
  leveldbFactory("always"),
  redisFactory(),
  postgresFactory(),
];
