import {
  type DescField,
  type DescMessage,
  type DescService,
  type Message,
  ScalarType,
} from "@bufbuild/protobuf";
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
        // Not an async function: a call whose models are known pays for no frame around it.
        wrapped[method.localName] = (request, context) => {
          const refreshing = refresh(request as Message);
          return refreshing ? refreshing.then(() => handler(request, context)) : handler(request, context);
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
 * The walk follows a plan made once per message type (planOf), so a call pays for the fields
 * that can hold a name, not for reflecting over every field.
 */
export function modelNames(desc: DescMessage, message: Message, defaultModel = ""): Set<string> {
  const names = new Set<string>();
  const visit = (plan: Plan, message: Record<string, unknown>) => {
    if (plan.any) {
      const url = (message as unknown as Any).typeUrl;
      if (url) names.add(url.slice(url.lastIndexOf("/") + 1));
      return;
    }
    for (const field of plan.models) {
      const name = (fieldValue(message, field) as string | undefined) || defaultModel;
      if (name) names.add(name);
    }
    for (const { field, plan: child } of plan.children) {
      const value = fieldValue(message, field);
      if (value === undefined) continue;
      if (field.fieldKind === "message") visit(child, value as Record<string, unknown>);
      else for (const item of Object.values(value as object)) visit(child, item as Record<string, unknown>);
    }
  };
  const plan = planOf(desc);
  if (plan) visit(plan, message as unknown as Record<string, unknown>);
  return names;
}

/** Where a message type can hold model names: its own `model` fields, and the fields to walk into. */
interface Plan {
  /** A google.protobuf.Any: its type URL names the model. */
  readonly any: boolean;
  readonly models: DescField[];
  /** Message fields, lists and maps of messages whose type can hold a name. */
  readonly children: { readonly field: DescField; readonly plan: Plan }[];
}

const plans = new WeakMap<DescMessage, Plan | null>();
const building = new Set<Plan>();

/** The plan of a message type; null when it can hold no model name (not anykv's, or a Data value). */
function planOf(desc: DescMessage): Plan | null {
  const known = plans.get(desc);
  if (known !== undefined) return known;
  if (desc.typeName === AnySchema.typeName) {
    const plan: Plan = { any: true, models: [], children: [] };
    plans.set(desc, plan);
    return plan;
  }
  // Only anykv's request messages name models: values (Data trees, JSON) are not walked.
  if (desc.file.proto.package !== ANYKV_PACKAGE || desc.typeName === DataSchema.typeName) {
    plans.set(desc, null);
    return null;
  }
  const plan: Plan = { any: false, models: [], children: [] };
  plans.set(desc, plan); // first, so that a type that contains itself finds its plan
  building.add(plan);
  for (const field of desc.fields) {
    if (field.fieldKind === "scalar" && field.name === "model" && field.scalar === ScalarType.STRING)
      plan.models.push(field);
    const child =
      field.fieldKind === "message" ||
      (field.fieldKind === "list" && field.listKind === "message") ||
      (field.fieldKind === "map" && field.mapKind === "message")
        ? planOf(field.message)
        : null;
    // A child that can hold nothing is left out; one still being planned (a cycle) is kept.
    if (child && (building.has(child) || child.any || child.models.length > 0 || child.children.length > 0))
      plan.children.push({ field, plan: child });
  }
  building.delete(plan);
  return plan;
}

/** A field's value in a protobuf-es message: its property, or its oneof's when that case is set. */
function fieldValue(message: Record<string, unknown>, field: DescField): unknown {
  if (!field.oneof) return message[field.localName];
  const oneof = message[field.oneof.localName] as { case?: string; value?: unknown };
  return oneof.case === field.localName ? oneof.value : undefined;
}
