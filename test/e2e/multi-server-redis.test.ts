import { afterAll, beforeAll } from "vitest";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { multiServerSuite } from "./multi-server-suite.js";

// A Redis of this file's own, so that no other test file's store meets these servers'.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.close());

multiServerSuite({ name: "Redis", backendUrl: async () => redis.url });
