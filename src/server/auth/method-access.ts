import type { DescMethod } from "@bufbuild/protobuf";
import type { Access } from "./grants.js";

/** What a method needs: nothing (open), any valid token, or an access level on a namespace. */
export type MethodAccess =
  | { readonly kind: "open" }
  | { readonly kind: "token" }
  | {
      readonly kind: "namespace";
      readonly access: Access;
      /** The namespace a request message names (the first message of a client stream). */
      readonly namespaceOf: (message: unknown) => string;
    }
  | { readonly kind: "server"; readonly action: string };

/** Services anyone may call: health checks and reflection (what the server serves, no data). */
const OPEN_SERVICES = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

const STORE_READS = [
  "Get",
  "Exists",
  "Info",
  "Checksum",
  "ListKeys",
  "ListValues",
  "Stream",
  "GetMany",
  "Download",
  "Watch",
];
const STORE_WRITES = [
  "Put",
  "Pop",
  "Delete",
  "Touch",
  "PutMany",
  "DeleteMany",
  "Batch",
  "DeletePrefix",
  "Upload",
];

/** Every StoreService request names its one namespace in `namespace`; Upload in its header. */
const requestNamespace = (message: unknown): string => {
  const namespace = (message as { namespace?: unknown }).namespace;
  return typeof namespace === "string" ? namespace : "";
};
const uploadNamespace = (message: unknown): string => {
  const part = (message as { part?: { case?: string; value?: { namespace?: unknown } } }).part;
  // Not a header: the handler refuses the upload; the check still asks for the default namespace.
  return part?.case === "header" && typeof part.value?.namespace === "string" ? part.value.namespace : "";
};

const cache = new WeakMap<DescMethod, MethodAccess>();

/**
 * What calling `method` needs. StoreService reads need read, its writes write, on the request's
 * namespace; ModelService reads need any valid token, its writes admin on every namespace;
 * health and reflection are open; anything else (AdminService: backup and restore, services
 * added later) needs admin on every namespace, so that a new method is closed until it is listed.
 */
export function methodAccess(method: DescMethod): MethodAccess {
  let access = cache.get(method);
  if (!access) {
    access = decide(method.parent.typeName, method.name);
    cache.set(method, access);
  }
  return access;
}

function decide(service: string, name: string): MethodAccess {
  if (OPEN_SERVICES.has(service)) return { kind: "open" };
  if (service === "anykv.v1.StoreService") {
    const namespaceOf = name === "Upload" ? uploadNamespace : requestNamespace;
    if (STORE_READS.includes(name)) return { kind: "namespace", access: "read", namespaceOf };
    if (STORE_WRITES.includes(name)) return { kind: "namespace", access: "write", namespaceOf };
  }
  if (service === "anykv.v1.ModelService" && (name === "ListModels" || name === "GetModel"))
    return { kind: "token" };
  return { kind: "server", action: `call ${service}/${name}` };
}
