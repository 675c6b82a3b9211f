import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { StoreService, UploadRequest, UploadRequestSchema } from "../../gen/anykv/v1/store_pb.js";
import type { KeyInfo as WireKeyInfo } from "../../gen/anykv/v1/value_pb.js";
import { precondition, type WriteConditions } from "./bulk-client.js";
import { type ConnectOptionsOf, cancelOnExit, type RequestOptions } from "./call-options.js";
import type { KeyInfo } from "./key-info.js";

/** Bytes to upload: one array, or a stream of them (a Node Readable is one). */
export type ByteSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Progress of a long upload or download. */
export interface Progress {
  /** Bytes sent or received so far. */
  readonly bytes: number;
  /** Bytes in all, when known (files, downloads). */
  readonly total: number | undefined;
}

export interface UploadOptions extends WriteConditions, RequestOptions {
  /** MIME type of the bytes. @default "application/octet-stream" */
  readonly contentType?: string;
  /** TTL in seconds; 0 means never expire. */
  readonly ttl?: number;
  /** Called after each chunk is sent. */
  readonly onProgress?: (progress: Progress) => void;
  /** Total size, for progress, when the source does not say. */
  readonly size?: number;
}

export interface UploadResult {
  readonly info: KeyInfo;
  /** The sha256 the server computed, equal to the client's (checked on both sides). */
  readonly sha256: string;
  readonly size: number;
}

export interface DownloadOptions extends RequestOptions {
  /** First byte. @default 0 */
  readonly offset?: number;
  /** Most bytes; undefined reads to the end. */
  readonly length?: number;
  /** Fail with ABORTED unless the key is at this revision (resume without mixing versions). */
  readonly ifRevision?: bigint | number;
  readonly onProgress?: (progress: Progress) => void;
}

export interface LargeValueMethods {
  /**
   * Stores bytes of any size from an array, an async iterable or a Node stream, in chunks:
   * server memory stays bounded. The sha256 is checked by the server before the value is
   * stored, and returned.
   */
  upload(key: string, source: ByteSource, options?: UploadOptions): Promise<UploadResult>;
  /** Streams a value's bytes (or a range); a whole download is checked against the sha256. */
  download(key: string, options?: DownloadOptions): AsyncIterable<Uint8Array>;
  /** Uploads a file; progress counts against its size. */
  putFile(key: string, path: string, options?: UploadOptions): Promise<UploadResult>;
  /** Downloads into a file, written next to it first and renamed when complete and verified. */
  getFile(key: string, path: string, options?: DownloadOptions): Promise<KeyInfo>;
}

// Bytes per Upload message: well under the 4 MiB message limit.
const MESSAGE_BYTES = 1024 * 1024;

export function createLargeValueMethods(deps: {
  readonly rpc: Client<typeof StoreService>;
  readonly namespace: string;
  readonly rpcOptions: ConnectOptionsOf;
  ttl(call?: { ttl?: number }): { seconds: bigint; nanos: number } | undefined;
  keyInfo(info: WireKeyInfo): KeyInfo;
}): LargeValueMethods {
  const { rpc, namespace } = deps;
  const methods: LargeValueMethods = {
    async upload(key, source, options = {}) {
      const hash = createHash("sha256");
      let size = 0;
      const t = deps.ttl(options);
      async function* messages(): AsyncGenerator<MessageInitShape<typeof UploadRequestSchema>> {
        yield {
          part: {
            case: "header",
            value: {
              namespace,
              key,
              contentType: options.contentType ?? "",
              ...(t ? { ttl: t } : {}),
              ...precondition(options),
            },
          },
        };
        for await (const part of toIterable(source)) {
          for (let start = 0; start < part.length; start += MESSAGE_BYTES) {
            const chunk = part.subarray(start, start + MESSAGE_BYTES);
            hash.update(chunk);
            size += chunk.length;
            yield { part: { case: "chunk", value: chunk } };
            options.onProgress?.({ bytes: size, total: options.size });
          }
        }
        yield { part: { case: "finish", value: { sha256: hash.digest("hex"), size: BigInt(size) } } };
      }
      const res = await rpc.upload(
        messages() as AsyncIterable<UploadRequest>,
        deps.rpcOptions(options, "stream"),
      );
      return { info: deps.keyInfo(res.info!), sha256: res.sha256, size };
    },

    async *download(key, options = {}) {
      const request = {
        namespace,
        key,
        offset: BigInt(options.offset ?? 0),
        length: BigInt(options.length ?? 0),
        ...(options.ifRevision === undefined ? {} : { ifRevision: BigInt(options.ifRevision) }),
      };
      const stream = cancelOnExit(options, (call) => rpc.download(request, deps.rpcOptions(call, "stream")));
      const whole = !options.offset && options.length === undefined;
      const hash = whole ? createHash("sha256") : undefined;
      let expected = "";
      let total: number | undefined;
      let bytes = 0;
      for await (const res of stream) {
        if (res.info) {
          expected = res.sha256;
          const size = Number(res.info.size);
          const offset = Math.min(options.offset ?? 0, size);
          total = Math.min(size - offset, options.length ?? Number.POSITIVE_INFINITY);
        }
        if (res.chunk.length === 0) continue;
        hash?.update(res.chunk);
        bytes += res.chunk.length;
        yield res.chunk;
        options.onProgress?.({ bytes, total });
      }
      if (hash && expected && hash.digest("hex") !== expected)
        throw new Error(`download of key "${key}" is corrupt: its sha256 does not match the server's`);
    },

    async putFile(key, path, options = {}) {
      const { size } = await stat(path);
      return methods.upload(key, createReadStream(path, { highWaterMark: MESSAGE_BYTES }), {
        size,
        ...options,
      });
    },

    async getFile(key, path, options = {}) {
      const info = await rpc.info({ namespace, key }, deps.rpcOptions(options));
      const partial = `${path}.partial`;
      const out = createWriteStream(partial);
      try {
        for await (const chunk of methods.download(key, { ifRevision: info.info!.revision, ...options })) {
          if (!out.write(chunk)) await once(out, "drain");
        }
        out.end();
        await once(out, "finish");
        await rename(partial, path);
      } catch (err) {
        out.destroy();
        await rm(partial, { force: true });
        throw err;
      }
      return deps.keyInfo(info.info!);
    },
  };
  return methods;
}

async function* toIterable(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) yield source;
  else yield* source;
}
