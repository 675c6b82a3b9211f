import type { Backend } from "../../backend/backend.js";
import { isAnykvError } from "../../errors.js";

/**
 * The backend with its failures counted (anykv_backend_errors_total, by operation): every
 * method that returns a promise or an async iterable is wrapped, whatever methods the backend
 * has. A failed condition (CONFLICT) or another domain answer is not a failure; UNAVAILABLE
 * (the engine is down) and errors that are not anykv's (I/O errors) are.
 */
export function countBackendErrors(backend: Backend, count: (operation: string) => void): Backend {
  const counted: Record<string, unknown> = {};
  const onError = (operation: string) => (err: unknown) => {
    if (!isAnykvError(err) || isAnykvError(err, "UNAVAILABLE")) count(operation);
    throw err;
  };
  const source = backend as unknown as Record<string, unknown>;
  for (const name of propertyNames(backend)) {
    if (name === "constructor") continue;
    const method = source[name];
    if (typeof method !== "function") {
      // Fields and getters (capabilities) are read from the backend itself.
      Object.defineProperty(counted, name, { get: () => source[name], enumerable: true });
      continue;
    }
    const failed = onError(name);
    counted[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = method.apply(backend, args);
      } catch (err) {
        failed(err);
      }
      if (result instanceof Promise) return result.then(undefined, failed);
      if (isAsyncIterable(result)) return countedIterable(result, failed);
      return result;
    };
  }
  return counted as unknown as Backend;
}

/** Own and inherited property names (a backend may be a plain object or a class instance). */
function propertyNames(object: object): Set<string> {
  const names = new Set<string>();
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o))
    for (const name of Object.getOwnPropertyNames(o)) names.add(name);
  return names;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
}

/** The iterable with each next() failure counted; return() and throw() pass through. */
function countedIterable<T>(iterable: AsyncIterable<T>, failed: (err: unknown) => never): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = iterable[Symbol.asyncIterator]();
      const wrapped: AsyncIterator<T> = {
        next: (...args: [] | [unknown]) => it.next(...args).then(undefined, failed),
      };
      if (it.return)
        wrapped.return = (value?: unknown) =>
          (it.return as (v?: unknown) => Promise<IteratorResult<T>>)(value);
      if (it.throw)
        wrapped.throw = (err?: unknown) => (it.throw as (e?: unknown) => Promise<IteratorResult<T>>)(err);
      return wrapped;
    },
  };
}
