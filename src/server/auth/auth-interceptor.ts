import type { Interceptor, StreamRequest, UnaryRequest } from "@connectrpc/connect";
import { type AccessNeed, type Auth, EVERY_NAMESPACE } from "./auth.js";
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
 * namespace (ACCESS_DENIED). Streams are checked at their first request message, and a server
 * stream (Watch, ListKeys, Download …) is checked again whenever the auth file is reloaded: one
 * whose token was removed, or lost the grant, ends at once with that error. Runs on connect's
 * adapter and on the gRPC fast path alike (both run the router's interceptors).
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
    // What the call needs; for a namespaced stream, known once its first message is read.
    let need: AccessNeed | undefined;
    if (access.kind === "server")
      need = { access: "admin", namespace: EVERY_NAMESPACE, action: access.action };
    if (access.kind === "namespace" && !req.stream)
      need = { access: access.access, namespace: access.namespaceOf((req as UnaryRequest).message) };
    if (need) auth.authorize(token, need);
    if (!req.stream) return next(req);
    const checkFirst = (message: unknown) => {
      if (access.kind !== "namespace") return;
      need = { access: access.access, namespace: access.namespaceOf(message) };
      auth.authorize(token, need);
    };
    const res = await next({ ...req, message: checkedFirst(req, checkFirst) } as StreamRequest);
    if (!res.stream) return res;
    // After a reload, the stream's token must still be in the file, with the grant it needs.
    const stillAllowed = () => {
      const now = auth.authenticate(authorization);
      if (need) auth.authorize(now, need);
    };
    return { ...res, message: endWhenRevoked(res.message, auth, stillAllowed) };
  };
}

/**
 * The response's messages until a reload of the auth file takes away what the stream needs:
 * then it ends with that error (UNAUTHENTICATED, ACCESS_DENIED) at once, even while it waits for
 * its next message (a quiet Watch). Raced by hand rather than with Promise.race, whose reactions
 * on a promise that never settles would pile up for as long as the stream lasts.
 */
async function* endWhenRevoked<T>(
  messages: AsyncIterable<T>,
  auth: Auth,
  stillAllowed: () => void,
): AsyncGenerator<T> {
  let revoked: { readonly error: unknown } | undefined;
  let interrupt: ((error: unknown) => void) | undefined;
  const unsubscribe = auth.onReload(() => {
    try {
      stillAllowed();
    } catch (error) {
      revoked ??= { error };
      interrupt?.(error);
    }
  });
  const iterator = messages[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      if (revoked) throw revoked.error;
      const next = iterator.next();
      const result = await new Promise<IteratorResult<T>>((resolve, reject) => {
        interrupt = reject;
        next.then(resolve, reject);
      });
      interrupt = undefined;
      if (result.done) {
        ended = true;
        return;
      }
      yield result.value;
    }
  } catch (err) {
    if (err !== revoked?.error) ended = true; // the handler's own error: its iterator is done
    throw err;
  } finally {
    unsubscribe();
    if (!ended) {
      // The client went away, or the token was revoked: stop the handler's iterator. A revoked
      // one is not waited for; connect aborts the handler's signal as the stream ends with the
      // error, which stops a handler that waits for its next message (the test checks it).
      const closing = iterator.return?.();
      if (revoked) closing?.catch(() => {});
      else await closing;
    }
  }
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
