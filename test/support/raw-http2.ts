import net from "node:net";

/** HTTP/2 frame types and error codes the tests look for (RFC 9113 §6, §7). */
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7 } as const;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 3;
export const REFUSED_STREAM = 7;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/**
 * An HTTP/2 client written frame by frame, for what node:http2's client will not do: open more
 * streams than the server allows, leave PINGs unanswered, send nothing at all.
 */
export interface RawHttp2 {
  readonly socket: net.Socket;
  readonly frames: readonly Frame[];
  /** Resolves with the first frame (already received or coming) that matches. */
  frame(match: (f: Frame) => boolean): Promise<Frame>;
  /** Opens a stream with a request's HEADERS; the request body stays open unless `end`. */
  request(streamId: number, path: string, end?: boolean): void;
  /** Sends one gRPC message on a stream, ending the request. */
  message(streamId: number, bytes: Uint8Array): void;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
}

export async function connectRawHttp2(port: number, options: { preface?: boolean } = {}): Promise<RawHttp2> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const frames: Frame[] = [];
  const waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      const frame: Frame = {
        type: pending[3]!,
        flags: pending[4]!,
        streamId: pending.readUInt32BE(5) & 0x7fffffff,
        payload: pending.subarray(9, 9 + length),
      };
      pending = pending.subarray(9 + length);
      frames.push(frame);
      for (const w of [...waiters])
        if (w.match(frame)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(frame);
        }
    }
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const send = (type: number, flags: number, streamId: number, payload: Buffer) => {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(streamId, 5);
    socket.write(Buffer.concat([head, payload]));
  };
  if (options.preface !== false) {
    socket.write(PREFACE);
    send(FRAME.SETTINGS, 0, 0, Buffer.alloc(0));
  }
  return {
    socket,
    frames,
    closed,
    frame(match) {
      const seen = frames.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    request(streamId, path, end = false) {
      const fields: [string, string][] = [
        [":method", "POST"],
        [":scheme", "http"],
        [":path", path],
        [":authority", "localhost"],
        ["content-type", "application/grpc"],
        ["te", "trailers"],
      ];
      // HPACK literal header fields without indexing, new names, no Huffman (RFC 7541 §6.2.2).
      const block = Buffer.concat(
        fields.map(([name, value]) =>
          Buffer.concat([
            Buffer.from([0, name.length]),
            Buffer.from(name),
            Buffer.from([value.length]),
            Buffer.from(value),
          ]),
        ),
      );
      send(FRAME.HEADERS, END_HEADERS | (end ? END_STREAM : 0), streamId, block);
    },
    message(streamId, bytes) {
      const envelope = Buffer.alloc(5 + bytes.length);
      envelope.writeUInt32BE(bytes.length, 1);
      envelope.set(bytes, 5);
      send(FRAME.DATA, END_STREAM, streamId, envelope);
    },
  };
}

/** The value of one setting in a SETTINGS frame's payload, if it is there. */
export function settingOf(frame: Frame, id: number): number | undefined {
  for (let at = 0; at + 6 <= frame.payload.length; at += 6)
    if (frame.payload.readUInt16BE(at) === id) return frame.payload.readUInt32BE(at + 2);
  return undefined;
}
