import { createRegistry } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { createTransport, type TransportOptions } from "../../src/client/transports.js";

/** Every protocol the server speaks on its one port, Connect in both of its encodings. */
export const PROTOCOLS = ["grpc", "grpc-web", "connect", "connect-json"] as const;
export type TestProtocol = (typeof PROTOCOLS)[number];

/**
 * A transport for one of PROTOCOLS: the client's, plus Connect with JSON (the client sends
 * binary); `options` (token, TLS) as the client's. The JSON one is the client's Connect transport
 * with other serialization options, so that it sends the token and TLS settings alike.
 */
export function transportFor(
  baseUrl: string,
  protocol: TestProtocol,
  options: TransportOptions = {},
): Transport {
  if (protocol !== "connect-json") return createTransport(baseUrl, protocol, { token: "", ...options });
  const token = options.token;
  const tls = {
    ...(options.ca !== undefined && { ca: Buffer.from(options.ca) }),
    ...(options.cert !== undefined && { cert: Buffer.from(options.cert) }),
    ...(options.key !== undefined && { key: Buffer.from(options.key) }),
  };
  return createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    useBinaryFormat: false,
    // Item and event errors are google.rpc.Status, whose details are Anys: JSON needs the types.
    jsonOptions: { registry: createRegistry(file_google_rpc_error_details) },
    ...(Object.keys(tls).length > 0 && { nodeOptions: tls }),
    interceptors: token
      ? [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${token}`);
            return next(req);
          },
        ]
      : [],
  });
}
