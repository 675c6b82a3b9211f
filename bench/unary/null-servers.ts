/**
 * The do-nothing servers of bench/unary, run as a child process:
 *
 *   node dist/bench/unary/null-servers.js grpc-js | connect | http2
 *
 * `grpc-js` and `connect` serve anykv's own StoreService descriptors; every
 * unary handler decodes the request and answers an empty response, so what a
 * call costs is the framework's own work. `grpc-js` is an @grpc/grpc-js
 * Server (the request decoded and the response encoded with protobuf-es, as
 * connect does); `connect` is connect-node's adapter on `http2.createServer`
 * (h2c), with connect's defaults. `http2` is the floor under every Node gRPC
 * server: Node's http2 core API alone, which reads each request to its end
 * and answers every path with an empty message and grpc-status 0, decoding
 * nothing. Prints `listening PORT` when ready.
 */
import http2 from "node:http2";
import { create, type DescMethodUnary, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";

const unary = StoreService.methods.filter((m): m is DescMethodUnary => m.methodKind === "unary");

async function startGrpcJs(): Promise<number> {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of unary) {
    definition[method.localName] = {
      path: `/${StoreService.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (m) => Buffer.from(toBinary(method.input, m as never)),
      requestDeserialize: (b: Buffer) => fromBinary(method.input, b),
      responseSerialize: (m) => Buffer.from(toBinary(method.output, m as never)),
      responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
    };
    const handle: grpc.handleUnaryCall<unknown, unknown> = (_call, callback) =>
      callback(null, create(method.output));
    handlers[method.localName] = handle;
  }
  const server = new grpc.Server();
  server.addService(definition, handlers);
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

async function startConnect(): Promise<number> {
  const impl: Record<string, () => object> = {};
  for (const method of unary) impl[method.localName] = () => ({});
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) => router.service(StoreService, impl as Partial<ServiceImpl<typeof StoreService>>),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

async function startHttp2(): Promise<number> {
  const empty = new Uint8Array(5); // an uncompressed gRPC message of length 0
  const server = http2.createServer();
  server.on("stream", (stream) => {
    // A stream the client resets as a run ends errors; unheard, that error would end the server.
    stream.on("error", () => {});
    stream.on("data", () => {});
    stream.once("end", () => {
      // A stream reset after its request ended (ghz cancels what is in flight as a run ends) is
      // closed before this runs: respond() on it throws, which would end the server.
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(empty);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

const starts: Record<string, () => Promise<number>> = {
  "grpc-js": startGrpcJs,
  connect: startConnect,
  http2: startHttp2,
};
const start = starts[process.argv[2] ?? ""];
if (start === undefined) {
  console.error("usage: node dist/bench/unary/null-servers.js grpc-js|connect|http2");
  process.exit(2);
}
console.log(`listening ${await start()}`);
