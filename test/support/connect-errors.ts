import { type Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";

/** The gRPC code a call fails with, or "ok" when it succeeds. */
export async function codeOf(promise: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await promise;
    return "ok";
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return (err as ConnectError).code;
  }
}
