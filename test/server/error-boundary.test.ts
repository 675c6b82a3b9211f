import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { Backend } from "../../src/backend/backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { createErrorInterceptor } from "../../src/server/error-mapping.js";
import { routes } from "../../src/server/routes.js";
import { Store } from "../../src/store/store.js";

/** StoreService in-process over a backend, behind the same error boundary the server uses. */
function client(backend: Backend, onInternal: (err: unknown) => void = () => {}) {
  const store = new Store(backend, { sweepIntervalMs: 0 });
  const transport = createRouterTransport(routes({ store }), {
    router: { interceptors: [createErrorInterceptor(onInternal)] },
  });
  return createClient(StoreService, transport);
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (err: unknown) => ConnectError.from(err),
  );

describe("the error boundary", () => {
  it("answers INTERNAL without internals for an unexpected error, and reports it", async () => {
    const broken: Backend = {
      ...createMemoryBackend(),
      get: async () => {
        throw new TypeError("secret: /var/lib/anykv/LOCK is owned by uid 1001");
      },
    };
    const onInternal = vi.fn();
    const err = await failure(client(broken, onInternal).get({ key: "k" }));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal error");
    expect(err.message).not.toContain("secret");
    expect(onInternal).toHaveBeenCalledOnce();
  });

  it("maps errors thrown while a stream is already running", async () => {
    const backend = createMemoryBackend();
    const rpc = client(backend);
    for (const key of ["a", "b", "c"]) await rpc.put({ key, value: { kind: { case: "text", value: key } } });
    const failing: Backend = {
      ...backend,
      async *scan(range) {
        let n = 0;
        for await (const item of backend.scan(range)) {
          if (n++ === 1) throw new TypeError("disk details");
          yield item;
        }
      },
      // Key listings read pages of keys: the first page arrives, then the failure.
      async *scanKeys(range) {
        for await (const page of backend.scanKeys(range)) {
          yield page.slice(0, 1);
          throw new TypeError("disk details");
        }
      },
    };
    const keys: string[] = [];
    const err = await failure(
      (async () => {
        for await (const res of client(failing).listKeys({ batchSize: 1n })) keys.push(...res.keys);
      })(),
    );
    expect(keys).toEqual(["a"]);
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal error");
  });

  it("answers UNAVAILABLE once the backend is closed", async () => {
    const backend = createMemoryBackend();
    const rpc = client(backend);
    await backend.close();
    const err = await failure(rpc.get({ key: "k" }));
    expect(err.code).toBe(Code.Unavailable);
  });

  it("carries the stable reason in a google.rpc.ErrorInfo, and no anykv headers", async () => {
    const err = await failure(client(createMemoryBackend()).get({ key: "missing" }));
    expect(err.code).toBe(Code.NotFound);
    const [info] = err.findDetails(ErrorInfoSchema);
    expect(info).toMatchObject({ reason: "NOT_FOUND", domain: "anykv" });
    expect([...err.metadata.keys()].filter((name) => name.startsWith("anykv-"))).toEqual([]);
  });
});
