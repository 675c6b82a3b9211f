/**
 * The server under test of the Connect conformance suite (connectconformance
 * --mode server): reads a ServerCompatRequest from stdin (4-byte big-endian
 * length, then the message), serves the ConformanceService with anykv's own
 * serve() (src/server/server.ts: the same sniffing, gRPC fast path, connect-node
 * adapter and error interceptor as `anykv serve`), and answers with a
 * ServerCompatResponse on stdout.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createErrorInterceptor } from "../../src/server/error-mapping.js";
import { serve } from "../../src/server/server.js";
import { resolveServerOptions } from "../../src/server/server-options.js";
import { conformanceRegistry, conformanceRoutes } from "./conformance-service.js";
import {
  ServerCompatRequestSchema,
  ServerCompatResponseSchema,
} from "./gen/connectrpc/conformance/v1/server_compat_pb.js";

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = Buffer.concat(chunks);
const request = fromBinary(ServerCompatRequestSchema, input.subarray(4, 4 + input.readUInt32BE(0)));
if (request.useTls)
  throw new Error("anykv serves cleartext only; the suite's config says supportsTls: false");

const listening = await serve({
  options: resolveServerOptions({
    host: "127.0.0.1",
    port: 0,
    ...(request.messageReceiveLimit > 0 && { maxMessageBytes: request.messageReceiveLimit }),
  }),
  routes: conformanceRoutes,
  interceptors: [createErrorInterceptor((err) => console.error("conformance server: internal error:", err))],
  registry: conformanceRegistry,
});
const response = toBinary(
  ServerCompatResponseSchema,
  create(ServerCompatResponseSchema, { host: "127.0.0.1", port: listening.port }),
);
const size = Buffer.alloc(4);
size.writeUInt32BE(response.length);
process.stdout.write(Buffer.concat([size, response]));
process.on("SIGTERM", () => void listening.close().then(() => process.exit(0)));
