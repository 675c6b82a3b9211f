import type { DescMessage, Message } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, type Violation } from "@bufbuild/protovalidate";
import type { Interceptor } from "@connectrpc/connect";
import { AnykvError } from "../errors.js";
import { compileQuickCheck, type QuickCheck } from "./quick-validation.js";

/**
 * Checks every request message of anykv's own services against the buf.validate rules its
 * .proto declares (key length, limits, TTL ranges, enum values, preconditions), before a
 * handler runs: one place for the API's declared constraints, on every protocol and every
 * streamed message (Upload). A violation is INVALID_ARGUMENT (reason INVALID_ARGUMENT) with one
 * google.rpc.BadRequest field violation per broken rule, in protovalidate's path format, as a
 * model's violations are. Rules that do not compile are a bug (INTERNAL). A message the quick
 * check (quick-validation.ts) passes skips protovalidate: it costs a served call far less.
 */
export function createValidationInterceptor(): Interceptor {
  const validator = createValidator();
  const quickChecks = new Map<DescMessage, QuickCheck>();
  const check = (desc: DescMessage, message: Message) => {
    let quick = quickChecks.get(desc);
    if (!quick) {
      quick = compileQuickCheck(desc);
      quickChecks.set(desc, quick);
    }
    if (quick(message)) return;
    const result = validator.validate(desc, message);
    if (result.kind === "valid") return;
    if (result.kind === "error") throw result.error;
    throw invalidRequest(desc, result.violations);
  };
  // Not an async function: a unary call pays for the check, not for a frame around it.
  return (next) => (req) => {
    if (!req.service.typeName.startsWith("anykv.")) return next(req);
    if (req.stream)
      return next({ ...req, message: checkEach(req.message, (m) => check(req.method.input, m)) });
    try {
      check(req.method.input, req.message);
    } catch (err) {
      return Promise.reject(err);
    }
    return next(req);
  };
}

async function* checkEach<T>(messages: AsyncIterable<T>, check: (message: T) => void): AsyncIterable<T> {
  for await (const message of messages) {
    check(message);
    yield message;
  }
}

function invalidRequest(desc: DescMessage, violations: readonly Violation[]): AnykvError {
  const details = violations.map((v) => ({ field: pathToString(v.field), description: v.message }));
  const first = details[0];
  const where = first?.field ? `${first.field}: ` : "";
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : "";
  return new AnykvError(
    "INVALID_ARGUMENT",
    `invalid ${desc.name}: ${where}${first?.description ?? "invalid"}${more}`,
    { details },
  );
}
