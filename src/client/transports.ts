import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

/** The protocols the server speaks on its one port. */
export type Protocol = "grpc" | "connect" | "grpc-web";

/** How a transport proves who it is and whom it trusts. */
export interface TransportOptions {
  /**
   * Bearer token sent with every call (`authorization: Bearer TOKEN`), for servers started with
   * --auth-file; "" sends none.
   * @default process.env.ANYKV_TOKEN
   */
  readonly token?: string | undefined;
  /**
   * PEM CA certificate(s) that signed the server's certificate, for https:// URLs.
   * @default Node's root CAs
   */
  readonly ca?: string | Uint8Array | undefined;
  /**
   * PEM client certificate, for servers that require one (--tls-client-ca); with `key`.
   * @default none
   */
  readonly cert?: string | Uint8Array | undefined;
  /**
   * PEM private key of `cert`.
   * @default none
   */
  readonly key?: string | Uint8Array | undefined;
}

/** A transport for `protocol`: gRPC over HTTP/2, Connect and gRPC-Web over HTTP/1.1 (TLS for https:// URLs). */
export function createTransport(
  baseUrl: string,
  protocol: Protocol = "grpc",
  options: TransportOptions = {},
): Transport {
  const token = options.token ?? process.env.ANYKV_TOKEN;
  const interceptors = token ? [bearer(token)] : [];
  const tls = {
    ...(options.ca !== undefined && { ca: pem(options.ca) }),
    ...(options.cert !== undefined && { cert: pem(options.cert) }),
    ...(options.key !== undefined && { key: pem(options.key) }),
  };
  const nodeOptions = Object.keys(tls).length > 0 ? { nodeOptions: tls } : {};
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, ...nodeOptions });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, ...nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors, ...nodeOptions });
  }
}

/** Adds the token to every call's headers. */
function bearer(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (next) => (req) => {
    req.header.set("authorization", value);
    return next(req);
  };
}

function pem(value: string | Uint8Array): string | Buffer {
  return typeof value === "string" ? value : Buffer.from(value);
}
