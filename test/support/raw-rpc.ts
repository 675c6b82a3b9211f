import http2 from "node:http2";

/** What a raw call answered: the gRPC status (gRPC, gRPC-Web) or Connect's error code, and its message. */
export interface RawAnswer {
  /** gRPC status number as text ("0" for OK), or for Connect the error code string ("" for OK). */
  readonly status: string;
  readonly message: string;
  readonly httpStatus: number;
  /** gRPC: the grpc-status-details-bin trailer (a base64 google.rpc.Status), "" when absent. */
  readonly detailsBin?: string;
  /** Connect: the error JSON's details, as sent. */
  readonly details?: readonly { type?: string; debug?: unknown }[];
}

/** A gRPC length-prefixed frame. */
export function frame(bytes: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + bytes.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}

/** A gRPC call over HTTP/2 with exactly these body bytes (frames), read to its trailers. */
export function rawGrpc(
  baseUrl: string,
  path: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      head = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", () => {});
    req.on("error", reject);
    req.on("end", () => {
      session.close();
      const pick = (name: string) => String(trailers[name] ?? head[name] ?? "");
      resolve({
        status: pick("grpc-status"),
        message: decodeURIComponent(pick("grpc-message")),
        httpStatus: Number(head[":status"] ?? 0),
        detailsBin: pick("grpc-status-details-bin"),
      });
    });
    req.end(body);
  });
}

/** A gRPC-Web call over HTTP/1.1 with these body bytes; the status comes from the trailer frame or headers. */
export async function rawGrpcWeb(baseUrl: string, path: string, body: Uint8Array): Promise<RawAnswer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto" },
    body,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let status = res.headers.get("grpc-status") ?? "";
  let message = decodeURIComponent(res.headers.get("grpc-message") ?? "");
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1).getUint32(0);
    if ((bytes[at] ?? 0) & 0x80) {
      const text = new TextDecoder().decode(bytes.subarray(at + 5, at + 5 + length));
      for (const line of text.split("\r\n")) {
        const i = line.indexOf(":");
        const name = line.slice(0, i).trim().toLowerCase();
        if (name === "grpc-status") status = line.slice(i + 1).trim();
        if (name === "grpc-message") message = decodeURIComponent(line.slice(i + 1).trim());
      }
    }
    at += 5 + length;
  }
  return { status, message, httpStatus: res.status };
}

/** A Connect unary call over HTTP/1.1 with this body (application/proto or application/json). */
export async function rawConnect(
  baseUrl: string,
  path: string,
  body: Uint8Array | string,
  type: "application/proto" | "application/json",
): Promise<RawAnswer> {
  const res = await fetch(`${baseUrl}${path}`, { method: "POST", headers: { "content-type": type }, body });
  const text = await res.text();
  if (res.status === 200) return { status: "", message: "", httpStatus: 200 };
  const json = JSON.parse(text) as { code?: string; message?: string; details?: RawAnswer["details"] };
  return {
    status: json.code ?? "",
    message: json.message ?? "",
    httpStatus: res.status,
    details: json.details ?? [],
  };
}
