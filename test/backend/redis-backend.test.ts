import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { createPrefixedBackend } from "../../src/backend/prefixed-backend.js";
import { openRedisBackend } from "../../src/backend/redis-backend.js";
import { type BackendFactory, backendSuite } from "./backend-suite.js";

const url = inject("redisUrl");
const prefixes = new WeakMap<Backend, string>();

/** Redis, each backend a store of its own on the run's shared Redis (a random key prefix and hash tag). */
const redis: BackendFactory = {
  name: "redis",
  async create() {
    const keyPrefix = `{t-${randomUUID()}}:`;
    const backend = (await openRedisBackend({ url, keyPrefix })) as Backend;
    prefixes.set(backend, keyPrefix);
    return backend;
  },
  async reopen(backend) {
    const keyPrefix = prefixes.get(backend)!;
    await backend.close();
    return (await openRedisBackend({ url, keyPrefix })) as Backend;
  },
};

const prefixedRedis: BackendFactory = {
  name: "redis (prefixed view)",
  async create() {
    const parent = await redis.create();
    return { ...createPrefixedBackend(parent, "dns\u0000"), close: () => parent.close() };
  },
};

backendSuite(redis);
backendSuite(prefixedRedis);
