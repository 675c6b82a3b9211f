import type { Backend } from "../backend/backend.js";
import { AnykvError } from "../errors.js";

/** The error of every write to a read-only server (FAILED_PRECONDITION at the boundary). */
export function readOnlyError(): AnykvError {
  return new AnykvError("READ_ONLY", "the server is read-only");
}

/**
 * `--readonly`: the backend as it is, except that a write with any op in it is refused. Every
 * way into the store — the write RPCs, Upload, ModelService, the anystore HTTP API, Restore —
 * ends in Backend.write, so this one place refuses them all, before anything is changed. (An
 * empty write reads the revision, and is let through.) A Proxy, so that methods the contract
 * gains later pass through untouched.
 */
export function readOnlyBackend(backend: Backend): Backend {
  const refuse: Backend["write"] = async (ops, ...rest) => {
    if (ops.length > 0) throw readOnlyError();
    return backend.write(ops, ...rest);
  };
  return new Proxy(backend, {
    get(target, property) {
      if (property === "write") return refuse;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
