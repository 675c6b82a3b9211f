import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

/** Every protocol the server speaks on its one port, Connect in both of its encodings. */
export const PROTOCOLS = ["grpc", "grpc-web", "connect", "connect-json"] as const;
export type TestProtocol = (typeof PROTOCOLS)[number];

/** A transport for one of PROTOCOLS: gRPC over HTTP/2, the others over HTTP/1.1. */
export function transportFor(baseUrl: string, protocol: TestProtocol): Transport {
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "1.1" });
    case "connect-json":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false });
  }
}
