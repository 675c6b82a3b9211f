import { readFile } from "node:fs/promises";
import type net from "node:net";
import tls from "node:tls";
import type { Protocol } from "./protocol-sniffer.js";

/** The TLS files of a server (`--tls-cert`, `--tls-key`, `--tls-client-ca`); "" for none. */
export interface TlsFiles {
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly tlsClientCa: string;
}

/** A TLS listener whose certificate can be read again (SIGHUP) without a restart. */
export interface TlsListener {
  readonly server: tls.Server;
  /** Reads the files again and serves new connections with them; a bad file throws and changes nothing. */
  reload(): Promise<void>;
}

/**
 * A TLS listener for anykv's one port: ALPN offers h2 and http/1.1, and each connection, once its
 * handshake is done, goes to `onSocket` with the protocol it negotiated (a client without ALPN
 * is given to `sniff`, as cleartext connections are). With `tlsClientCa` every client must show
 * a certificate that CA signed (mTLS); the handshake of one that does not fails. The handshake
 * must finish within `handshakeTimeoutMs` (0: Node's default, 120 s).
 */
export async function createTlsListener(
  files: TlsFiles,
  handshakeTimeoutMs: number,
  onSocket: (socket: net.Socket, protocol: Protocol | undefined) => void,
): Promise<TlsListener> {
  const server = tls.createServer({
    ...(await readContext(files)),
    ALPNProtocols: ["h2", "http/1.1"],
    ...(handshakeTimeoutMs > 0 && { handshakeTimeout: handshakeTimeoutMs }),
  });
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    socket.on("error", () => socket.destroy());
    const alpn = socket.alpnProtocol;
    onSocket(socket, alpn === "h2" ? "h2" : alpn === "http/1.1" ? "http/1.1" : undefined);
  });
  // A failed handshake (no or a wrong client certificate, a cleartext client) only closes its socket.
  server.on("tlsClientError", (_err, socket) => socket.destroy());
  return {
    server,
    async reload() {
      server.setSecureContext(await readContext(files));
    },
  };
}

async function readContext(files: TlsFiles): Promise<tls.TlsOptions> {
  const read = (file: string, what: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`${what} ${file}: ${err.code ?? err.message}`);
    });
  const [cert, key, ca] = await Promise.all([
    read(files.tlsCert, "TLS certificate"),
    read(files.tlsKey, "TLS key"),
    files.tlsClientCa ? read(files.tlsClientCa, "TLS client CA") : undefined,
  ]);
  const options: tls.TlsOptions = ca
    ? { cert, key, ca, requestCert: true, rejectUnauthorized: true }
    : { cert, key };
  try {
    tls.createSecureContext(options); // a key that does not fit its certificate fails here, naming neither
  } catch (err) {
    throw new Error(
      `TLS files ${files.tlsCert}, ${files.tlsKey}${ca ? `, ${files.tlsClientCa}` : ""} do not load: ${(err as Error).message}`,
    );
  }
  return options;
}
