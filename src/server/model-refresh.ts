import { type DescMessage, type DescService, type Message, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { DataSchema } from "../../gen/anykv/v1/value_pb.js";
import type { Models } from "./models.js";

type AnyHandler = (request: unknown, context: HandlerContext) => unknown;

const ANYKV_PACKAGE = DataSchema.file.proto.package;

/**
 * A service whose handlers first make sure this server knows the models a request names:
 * another server on the same backend may have registered them since this one loaded its
 * registry (Models.refresh reloads at most once per interval, and only for a name it lacks).
 * A wrapper rather than an interceptor: Connect's per-service interceptors replace the
 * server's, and routes() should behave the same in-process and on the network.
 */
export function withModelRefresh<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  models: Models,
  defaultModel = "",
): ServiceImpl<S> {
  const handlers = impl as Record<string, AnyHandler>;
  const wrapped: Record<string, AnyHandler> = { ...handlers };
  for (const method of service.methods) {
    const handler = handlers[method.localName];
    if (!handler) continue;
    const refresh = (message: Message) => models.refresh(modelNames(method.input, message, defaultModel));
    switch (method.methodKind) {
      case "unary":
        wrapped[method.localName] = async (request, context) => {
          await refresh(request as Message);
          return handler(request, context);
        };
        break;
      case "server_streaming":
        wrapped[method.localName] = async function* (request, context) {
          await refresh(request as Message);
          yield* handler(request, context) as AsyncIterable<unknown>;
        };
        break;
      default:
        wrapped[method.localName] = (requests, context) => {
          async function* refreshed() {
            for await (const request of requests as AsyncIterable<Message>) {
              await refresh(request);
              yield request;
            }
          }
          return handler(refreshed(), context);
        };
    }
  }
  return wrapped as ServiceImpl<S>;
}

/**
 * The model names a request refers to. anykv's requests name models in string fields called
 * `model` ("" meaning the default model) and carry typed messages in google.protobuf.Any
 * fields; walking the request finds both, so an RPC added later needs no list kept up to date.
 */
export function modelNames(desc: DescMessage, message: Message, defaultModel = ""): Set<string> {
  const names = new Set<string>();
  const visit = (r: ReflectMessage) => {
    if (r.desc.typeName === AnySchema.typeName) {
      const url = (r.message as Any).typeUrl;
      if (url) names.add(url.slice(url.lastIndexOf("/") + 1));
      return;
    }
    // Only anykv's request messages name models: values (Data trees, JSON) are not walked.
    if (r.desc.file.proto.package !== ANYKV_PACKAGE || r.desc.typeName === DataSchema.typeName) return;
    for (const field of r.fields) {
      switch (field.fieldKind) {
        case "scalar":
          if (field.name === "model" && field.scalar === ScalarType.STRING) {
            const name = (r.get(field) as string) || defaultModel;
            if (name) names.add(name);
          }
          break;
        case "message":
          if (r.isSet(field)) visit(r.get(field));
          break;
        case "list":
          if (field.listKind === "message") for (const item of r.get(field)) visit(item as ReflectMessage);
          break;
        case "map":
          if (field.mapKind === "message")
            for (const value of r.get(field).values()) visit(value as ReflectMessage);
          break;
      }
    }
  };
  visit(reflect(desc, message));
  return names;
}
