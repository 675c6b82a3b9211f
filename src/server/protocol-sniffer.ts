import type net from "node:net";

// Every HTTP/2 connection starts with this preface; HTTP/1.1 requests never do.
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export type Protocol = "h2" | "http/1.1";

/**
 * Reads a new connection's first bytes until they either complete the HTTP/2 preface or differ
 * from it, then puts them back on the socket and calls `onProtocol`. A TCP segment can be as short
 * as one byte (`P` starts both `PRI * HTTP/2.0` and `POST`), so one read does not decide. A client
 * that sends nothing decisive within `timeoutMs` is disconnected.
 */
export function sniffProtocol(
  socket: net.Socket,
  timeoutMs: number,
  onProtocol: (protocol: Protocol) => void,
): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = timeoutMs > 0 ? setTimeout(() => socket.destroy(), timeoutMs).unref() : undefined;
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, H2_PREFACE.length);
    const matches = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (matches && n < H2_PREFACE.length) return; // undecided: wait for more
    socket.off("data", onData);
    socket.off("close", onClose);
    clearTimeout(timer);
    socket.pause();
    socket.unshift(seen);
    onProtocol(matches ? "h2" : "http/1.1");
  };
  const onClose = () => clearTimeout(timer);
  socket.on("data", onData);
  socket.once("close", onClose);
}
