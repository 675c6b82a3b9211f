import http2 from "node:http2";

/**
 * Ends the request side of an HTTP/2 stream that was answered before it was read to its end (a
 * request over the message limit is refused from its length prefix): once the trailers are out,
 * RST_STREAM(NO_ERROR) tells the client to stop sending (RFC 9113 §8.1). Left alone, the unread
 * stream keeps its flow-control window shut and the client keeps the rest of the request buffered,
 * so that its later calls on the connection stall or are refused (ENHANCE_YOUR_CALM).
 *
 * Whoever sends the trailers does so from a "wantTrailers" listener (the compatibility layer
 * does); the reset waits for the next turn of the event loop, so listener order does not matter.
 */
export function resetUnreadRequest(stream: http2.ServerHttp2Stream): void {
  stream.once("wantTrailers", () => {
    if (stream.readableEnded) return;
    // The trailers are written in the current send cycle; a reset submitted now would overtake
    // them (nghttp2 sends RST_STREAM first), so it waits until that cycle is over.
    setImmediate(() => {
      if (!stream.closed && !stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
  });
}
