import type { IncomingHttpHeaders } from "node:http";

/**
 * The parts of a Node request that the HTTP API reads. Both http.IncomingMessage
 * and http2.Http2ServerRequest fit, so the API serves HTTP/1.1 and HTTP/2 alike.
 */
export interface HttpRequest extends AsyncIterable<unknown> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Whether the whole body arrived (false after the client broke off). */
  readonly complete?: boolean;
}

/** The parts of a Node response that the HTTP API writes (ServerResponse or Http2ServerResponse). */
export interface HttpResponse {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string | number): unknown;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/** A (req, res) handler that the server mounts in front of the Connect adapter. */
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => Promise<void>;
