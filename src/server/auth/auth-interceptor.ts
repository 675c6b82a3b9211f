import type { Interceptor, StreamRequest, UnaryRequest } from "@connectrpc/connect";
import { type Auth, EVERY_NAMESPACE } from "./auth.js";
import { methodAccess } from "./method-access.js";

/**
 * A request whose headers can be read one at a time without building a Headers object (the gRPC
 * fast path's, grpc-unary-call.ts): the check reads `authorization` on every call.
 */
interface HeaderValueSource {
  headerValue(name: string): string | undefined;
}

/**
 * Checks every call against the auth file before its implementation runs (methodAccess says what
 * each method needs): the token first (UNAUTHENTICATED), then the grant for the request's
 * namespace (ACCESS_DENIED). Streams are checked once, at their first request message: a Watch
 * or ListKeys that started goes on when its token is removed later. Runs on connect's adapter
 * and on the gRPC fast path alike (both run the router's interceptors).
 */
export function createAuthInterceptor(auth: Auth): Interceptor {
  return (next) => async (req) => {
    const access = methodAccess(req.method);
    if (access.kind === "open") return next(req);
    const source = req as Partial<HeaderValueSource>;
    const authorization = source.headerValue
      ? source.headerValue("authorization")
      : (req.header.get("authorization") ?? undefined);
    const token = auth.authenticate(authorization);
    if (access.kind === "token") return next(req);
    if (access.kind === "server") {
      auth.authorize(token, { access: "admin", namespace: EVERY_NAMESPACE, action: access.action });
      return next(req);
    }
    const check = (message: unknown) =>
      auth.authorize(token, { access: access.access, namespace: access.namespaceOf(message) });
    if (!req.stream) {
      check((req as UnaryRequest).message);
      return next(req);
    }
    return next({ ...req, message: checkedFirst(req, check) } as StreamRequest);
  };
}

/** The request's messages, the first one checked before it is handed on. */
async function* checkedFirst(req: StreamRequest, check: (message: unknown) => void): AsyncIterable<unknown> {
  let first = true;
  for await (const message of req.message) {
    if (first) check(message);
    first = false;
    yield message;
  }
  // A stream that sent no message at all never named its namespace: check the default one.
  if (first) check({});
}
