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
  /**
   * Ask the server to compress answers over 1 KiB (gzip or brotli). It pays on slow links and
   * costs CPU on both sides on fast ones: listings over a local connection ran 10–30% faster
   * without it (bench/README.md), and stored values are often compressed already.
   * @default false
   */
  readonly compression?: boolean | undefined;
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
  const common = {
    baseUrl,
    interceptors,
    // connect-node accepts gzip and brotli unless told otherwise; anykv's client asks for it.
    ...(options.compression ? {} : { acceptCompression: [] }),
    ...(Object.keys(tls).length > 0 ? { nodeOptions: tls } : {}),
  };
  switch (protocol) {
    case "grpc":
      return createGrpcTransport(common);
    case "connect":
      return createConnectTransport({ ...common, httpVersion: "1.1" });
    case "grpc-web":
      return createGrpcWebTransport({ ...common, httpVersion: "1.1" });
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
