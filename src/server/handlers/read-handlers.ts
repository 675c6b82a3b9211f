import { createHash } from "node:crypto";
import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import { ChecksumAlgorithm, type StoreService } from "../../../gen/anykv/v1/store_pb.js";
import { isAnykvError } from "../../errors.js";
import { CHECKSUM_ALGORITHMS } from "../checksum-algorithms.js";
import { keyInfo } from "../key-info.js";
import { type HandlerContext, notFound, type ReadResponse } from "./handler-context.js";

type ReadHandlers = Pick<ServiceImpl<typeof StoreService>, "get" | "pop" | "exists" | "info" | "checksum">;

export function createReadHandlers(ctx: HandlerContext): ReadHandlers {
  const { store } = ctx;
  return {
    get(req) {
      return readLatest(async () => {
        const entry = await store.get(req.namespace, req.key);
        return entry ? ctx.read(await ctx.whole(entry), req) : ctx.missing(req);
      });
    },

    async pop(req, call: ConnectContext) {
      // Decode before the delete commits: a pop that cannot answer must not lose the value.
      let response: ReadResponse | undefined;
      const entry = await store.pop(
        req.namespace,
        req.key,
        async (found) => {
          response = await ctx.read(found, req);
        },
        call, // its signal stops the conflict retries
      );
      return entry && response ? response : ctx.missing(req);
    },

    async exists(req) {
      return { exists: await store.exists(req.namespace, req.key) };
    },

    async info(req) {
      const entry = await store.get(req.namespace, req.key);
      if (!entry) throw notFound(req.namespace, store.key(req.key));
      return { info: keyInfo(entry) };
    },

    async checksum(req) {
      // The request validation admits only defined algorithms; an unknown number is a bug.
      const algorithm = req.algorithm || ChecksumAlgorithm.SHA256;
      const name = CHECKSUM_ALGORITHMS[algorithm];
      return readLatest(async () => {
        const entry = await store.get(req.namespace, req.key);
        if (!entry) throw notFound(req.namespace, store.key(req.key));
        // Chunk by chunk: a value stored in chunks is never held whole.
        const hash = createHash(name);
        for await (const chunk of store.chunks(entry)) hash.update(chunk);
        return { algorithm, checksum: hash.digest("hex") };
      });
    },
  };
}

// Reads of a value replaced while its chunks are read start again, at most this many times.
const READ_ATTEMPTS = 5;

/**
 * Runs a read of a whole value again when the value is replaced while its chunks are read
 * (store.chunks: CONFLICT). A read without a condition has none to fail: it answers the newer value.
 */
function readLatest<T>(read: () => Promise<T>, attempt = 1): Promise<T> {
  // A promise chain, not an async loop: a read that succeeds at once (nearly all) allocates no
  // frame for the retries it does not need.
  return read().catch((err: unknown) => {
    if (attempt >= READ_ATTEMPTS || !isAnykvError(err, "CONFLICT")) throw err;
    return readLatest(read, attempt + 1);
  });
}
