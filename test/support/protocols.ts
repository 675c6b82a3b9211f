import { createRegistry } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { createTransport } from "../../src/client/transports.js";

/** Every protocol the server speaks on its one port, Connect in both of its encodings. */
export const PROTOCOLS = ["grpc", "grpc-web", "connect", "connect-json"] as const;
export type TestProtocol = (typeof PROTOCOLS)[number];

/** A transport for one of PROTOCOLS: the client's, plus Connect with JSON (the client sends binary). */
export function transportFor(baseUrl: string, protocol: TestProtocol): Transport {
  return protocol === "connect-json"
    ? createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        // Item and event errors are google.rpc.Status, whose details are Anys: JSON needs the types.
        jsonOptions: { registry: createRegistry(file_google_rpc_error_details) },
      })
    : createTransport(baseUrl, protocol);
}
