import { createHash } from "node:crypto";
import {
  Code,
  type HandlerContext as ConnectContext,
  ConnectError,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { StoreService, UploadFinish, UploadRequest } from "../../../gen/anykv/v1/store_pb.js";
import { AnykvError, isAnykvError } from "../../errors.js";
import { entrySize } from "../../store/store.js";
import { keyInfo } from "../key-info.js";
import { isRequestError } from "../request-errors.js";
import { type HandlerContext, notFound, ttlMs } from "./handler-context.js";
import { writeCondition } from "./write-requests.js";

type LargeValueHandlers = Pick<ServiceImpl<typeof StoreService>, "upload" | "download">;

// Download sends at most this much per message, whatever the stored chunk size.
const DOWNLOAD_MESSAGE_BYTES = 1024 * 1024;

export function createLargeValueHandlers(ctx: HandlerContext): LargeValueHandlers {
  const { store } = ctx;
  return {
    // The header, then the bytes as the store pulls them (HTTP/2 flow control holds the
    // client back while chunks are written), then the finish message: a stream that ends
    // without it was cut off, and stores nothing.
    async upload(requests: AsyncIterable<UploadRequest>, call: ConnectContext) {
      const messages = requests[Symbol.asyncIterator]();
      const first = await messages.next();
      if (first.done || first.value.part.case !== "header")
        throw new AnykvError("INVALID_ARGUMENT", "the first message of an Upload must be its header");
      const header = first.value.part.value;
      ctx.checkRawValue(store.key(header.key)); // refused as Put would refuse raw bytes (a default model)
      let finish: UploadFinish | undefined;
      const pull = async () => {
        try {
          return await messages.next();
        } catch (cause) {
          // A message that does not parse, is too large or breaks the declared constraints
          // (request validation) is the client's mistake (the error boundary gives it its
          // code); anything else means the stream broke off.
          if (
            cause instanceof ConnectError &&
            (isRequestError(cause) || cause.code === Code.ResourceExhausted)
          )
            throw cause;
          if (isAnykvError(cause)) throw cause;
          throw new AnykvError("UNAVAILABLE", "the upload broke off before its end; nothing was stored", {
            cause,
          });
        }
      };
      async function* bytes(): AsyncGenerator<Uint8Array> {
        for (let next = await pull(); !next.done; next = await pull()) {
          if (call.signal.aborted) throw new AnykvError("UNAVAILABLE", "the upload was cancelled");
          const { part } = next.value;
          if (part.case === "header" || part.case === undefined || finish)
            throw new AnykvError(
              "INVALID_ARGUMENT",
              "an Upload sends one header first, then chunks, then at most one finish message last",
            );
          if (part.case === "chunk") yield part.value;
          else finish = part.value;
        }
      }
      const result = await store.upload(header.namespace, header.key, bytes(), {
        contentType: header.contentType,
        ttlMs: ttlMs(header.ttl),
        ...writeCondition(header.precondition),
        verify: ({ sha256, size }) => {
          if (!finish)
            throw new AnykvError(
              "INVALID_ARGUMENT",
              `the upload of key "${header.key}" ended without its finish message; nothing was stored`,
            );
          if (finish.sha256 !== "" && finish.sha256.toLowerCase() !== sha256)
            throw new AnykvError(
              "INVALID_VALUE",
              `the upload of key "${header.key}" was corrupted: the server received sha256 ${sha256}, the client sent ${finish.sha256}; nothing was stored`,
            );
          if (finish.size !== undefined && finish.size !== BigInt(size))
            throw new AnykvError(
              "INVALID_VALUE",
              `the upload of key "${header.key}" is incomplete: the server received ${size} bytes, the client sent ${finish.size}; nothing was stored`,
            );
        },
      });
      return { info: keyInfo(result.entry), sha256: result.sha256 };
    },

    async *download(req, call: ConnectContext) {
      const entry = await store.get(req.namespace, req.key);
      if (!entry) throw notFound(req.namespace, store.key(req.key));
      if (req.ifRevision !== undefined && BigInt(entry.meta.revision) !== req.ifRevision)
        throw new AnykvError(
          "CONFLICT",
          `key "${entry.key}" is at revision ${entry.meta.revision}, not revision ${req.ifRevision}`,
          { metadata: { key: entry.key, precondition: "revision", revision: String(entry.meta.revision) } },
        );
      const sha256 = entry.meta.chunks?.sha256 ?? createHash("sha256").update(entry.value).digest("hex");
      const offset = Number(req.offset);
      const length = req.length === 0n ? entrySize(entry) : Number(req.length);
      yield { info: keyInfo(entry), sha256, chunk: new Uint8Array() };
      for await (const chunk of store.chunks(entry, offset, length)) {
        for (let start = 0; start < chunk.length; start += DOWNLOAD_MESSAGE_BYTES) {
          if (call.signal.aborted) return;
          yield { chunk: chunk.subarray(start, start + DOWNLOAD_MESSAGE_BYTES) };
        }
      }
    },
  };
}
