/**
 * One server of the request-path benchmark, run as a child process so that its
 * CPU time is its own. argv[2] names it:
 *   grpc-js-noop   @grpc/grpc-js Server, StoreService.Get/Put answer an empty message
 *   connect-noop   connect-node's adapter on http2.createServer, same empty answers
 *   serve-noop     anykv's serve() (src/server/server.ts: sniffing, gRPC fast path, connect-node),
 *                  with the same empty answers and anykv's error interceptor
 *   anykv          the real anykv server (LevelDB in a temporary directory)
 * Prints its port on stdout when it listens.
 */
import { mkdtempSync } from "node:fs";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { GetResponseSchema, PutResponseSchema, StoreService } from "../../gen/anykv/v1/store_pb.js";
import { createErrorInterceptor } from "../../src/server/error-mapping.js";
import { serve, startServer } from "../../src/server/server.js";
import { resolveServerOptions } from "../../src/server/server-options.js";

const kind = process.argv[2];

async function main(): Promise<number> {
  switch (kind) {
    case "grpc-js-noop": {
      const server = new grpc.Server();
      // Raw bytes in and out: the do-nothing floor of grpc-js itself.
      const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
      const method = (name: string) => ({
        path: `/anykv.v1.StoreService/${name}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw.serialize,
        requestDeserialize: raw.deserialize,
        responseSerialize: raw.serialize,
        responseDeserialize: raw.deserialize,
      });
      const empty = Buffer.alloc(0);
      const answer: grpc.handleUnaryCall<Buffer, Buffer> = (_call, callback) => callback(null, empty);
      server.addService({ Get: method("Get"), Put: method("Put") }, { Get: answer, Put: answer });
      return await new Promise((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
          err ? reject(err) : resolve(port),
        ),
      );
    }
    case "connect-noop": {
      const handler = connectNodeAdapter({
        routes: (router) =>
          router.service(StoreService, {
            get: () => create(GetResponseSchema),
            put: () => create(PutResponseSchema),
          }),
      });
      const server = http2.createServer({}, handler);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return (server.address() as AddressInfo).port;
    }
    case "serve-noop": {
      const listening = await serve({
        options: resolveServerOptions({ port: 0 }),
        routes: (router) =>
          router.service(StoreService, {
            get: () => create(GetResponseSchema),
            put: () => create(PutResponseSchema),
          }),
        interceptors: [createErrorInterceptor(() => undefined)],
      });
      return listening.port;
    }
    case "anykv": {
      const dir = mkdtempSync(join(tmpdir(), "anykv-request-path-"));
      const server = await startServer({ port: 0, data: join(dir, "data"), host: "127.0.0.1" });
      return server.port;
    }
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

process.stdout.write(`${await main()}\n`);
// Exit normally on SIGTERM, so that `node --cpu-prof` writes its profile.
process.on("SIGTERM", () => process.exit(0));
