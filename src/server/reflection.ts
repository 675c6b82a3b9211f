import type { FileRegistry } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { answerReflection, type ReflectionQuery } from "./reflection-answers.js";

/**
 * gRPC server reflection, grpc.reflection.v1 and its predecessor v1alpha (which
 * grpcurl and older tools still ask first), answered from a protobuf-es
 * FileRegistry. `registry` is called for every request, so a caller can serve
 * files that appear at run time (models registered through ModelService) by
 * returning the current registry.
 */
export function createReflection(registry: () => FileRegistry): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ServerReflectionV1, { serverReflectionInfo: (requests) => answerAll(registry, requests) });
    router.service(ServerReflectionV1alpha, {
      serverReflectionInfo: (requests) => answerAll(registry, requests),
    });
  };
}

/** One stream per client session; requests are answered in order. */
async function* answerAll<Request extends { host: string; messageRequest: ReflectionQuery }>(
  registry: () => FileRegistry,
  requests: AsyncIterable<Request>,
) {
  const sent = new Set<string>();
  for await (const request of requests) {
    yield {
      validHost: request.host,
      originalRequest: request,
      messageResponse: answerReflection(registry(), request.messageRequest, sent),
    };
  }
}
