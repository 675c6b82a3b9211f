import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import type { Backend } from "../../src/backend/backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { createErrorInterceptor } from "../../src/server/error-mapping.js";
import { routes } from "../../src/server/routes.js";
import { Store } from "../../src/store/store.js";

const bytes = (text: string) => new TextEncoder().encode(text);
async function* source(...parts: string[]) {
  for (const part of parts) yield bytes(part);
}

/**
 * A store whose chunked values are replaced by another writer right after a
 * reader has read the record and before it reads the first chunk.
 */
async function racingStore() {
  const inner = createMemoryBackend();
  let replaceOnce: (() => Promise<unknown>) | undefined;
  const backend: Backend = {
    ...inner,
    async get(key) {
      const hook = key.startsWith("b") ? replaceOnce : undefined;
      if (hook) {
        replaceOnce = undefined;
        await hook();
      }
      return inner.get(key);
    },
  };
  const store = new Store(backend, { sweepIntervalMs: 0, chunkBytes: 4 });
  await store.upload("", "big", source("0123456789"), { contentType: "" });
  const arm = () => {
    replaceOnce = () => store.upload("", "big", source("abcdefghijkl"), { contentType: "" });
  };
  const transport = createRouterTransport(routes({ store }), {
    router: { interceptors: [createErrorInterceptor(() => {})] },
  });
  return { rpc: createClient(StoreService, transport), arm };
}

describe("reads of a chunked value that is replaced meanwhile", () => {
  it("Get answers the new value instead of ABORTED (it has no condition to fail)", async () => {
    const { rpc, arm } = await racingStore();
    arm();
    const res = await rpc.get({ key: "big" });
    expect(res.value?.kind).toEqual({ case: "raw", value: bytes("abcdefghijkl") });
  });

  it("Checksum digests the new value instead of failing with ABORTED", async () => {
    const { rpc, arm } = await racingStore();
    arm();
    const { createHash } = await import("node:crypto");
    const res = await rpc.checksum({ key: "big" });
    expect(res.checksum).toBe(createHash("sha256").update("abcdefghijkl").digest("hex"));
  });
});
