import { createHash } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import type { StoreService } from "../../../gen/anykv/v1/store_pb.js";
import { AnykvError, isAnykvError } from "../../errors.js";
import { keyInfo } from "../key-info.js";
import { type HandlerContext, notFound, type ReadResponse } from "./handler-context.js";

type ReadHandlers = Pick<ServiceImpl<typeof StoreService>, "get" | "pop" | "exists" | "info" | "checksum">;

const CHECKSUM_ALGORITHMS = new Set([
  "md5",
  "sha1",
  "sha224",
  "sha256",
  "sha384",
  "sha512",
  "sha3-256",
  "sha3-512",
]);

export function createReadHandlers(ctx: HandlerContext): ReadHandlers {
  const { store } = ctx;
  return {
    async get(req) {
      return readLatest(async () => {
        const entry = await store.get(req.namespace, req.key);
        return entry ? ctx.read(await ctx.whole(entry), req) : ctx.missing(req);
      });
    },

    async pop(req) {
      // Decode before the delete commits: a pop that cannot answer must not lose the value.
      let response: ReadResponse | undefined;
      const entry = await store.pop(req.namespace, req.key, async (found) => {
        response = await ctx.read(found, req);
      });
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
      const algorithm = (req.algorithm || "sha256").toLowerCase();
      if (!CHECKSUM_ALGORITHMS.has(algorithm)) {
        throw new AnykvError(
          "INVALID_ARGUMENT",
          `unknown checksum algorithm "${req.algorithm}"; use one of ${[...CHECKSUM_ALGORITHMS].join(", ")}`,
        );
      }
      return readLatest(async () => {
        const entry = await store.get(req.namespace, req.key);
        if (!entry) throw notFound(req.namespace, store.key(req.key));
        // Chunk by chunk: a value stored in chunks is never held whole.
        const hash = createHash(algorithm);
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
async function readLatest<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= READ_ATTEMPTS || !isAnykvError(err, "CONFLICT")) throw err;
    }
  }
}
