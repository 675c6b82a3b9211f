import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

/** The protocols the server speaks on its one port. */
export type Protocol = "grpc" | "connect" | "grpc-web";

/** A transport for `protocol`: gRPC over HTTP/2, Connect and gRPC-Web over HTTP/1.1. */
export function createTransport(baseUrl: string, protocol: Protocol = "grpc"): Transport {
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "1.1" });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
  }
}
