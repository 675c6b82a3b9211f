import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { ErrorCode } from "../errors.js";

/** google.rpc.ErrorInfo.domain of every anykv error. */
export const ERROR_DOMAIN = "anykv";

/** An error detail as ConnectError takes it: a message schema and its value. */
export interface ErrorDetail<Desc extends DescMessage = DescMessage> {
  readonly desc: Desc;
  readonly value: MessageInitShape<Desc>;
}

/**
 * The google.rpc.ErrorInfo every anykv error carries: domain "anykv", the stable reason, and
 * facts for programs. Its own module, so that the error boundary (error-mapping.ts) and the
 * request errors connect-es raises (request-errors.ts) build it alike without importing each other.
 */
export function errorInfo(reason: ErrorCode, metadata: Readonly<Record<string, string>> = {}): ErrorDetail {
  return detail(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata: { ...metadata } });
}

export function detail<Desc extends DescMessage>(desc: Desc, value: MessageInitShape<Desc>): ErrorDetail {
  return { desc, value } as ErrorDetail;
}
