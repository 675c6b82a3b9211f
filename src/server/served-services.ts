import { createFileRegistry, type FileRegistry } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { fileRegistryOf } from "./file-registry.js";

/**
 * What a server serves, read off its router after every route is registered,
 * so that reflection and health never disagree with the routes: a service
 * added in routes.ts appears in `grpcurl list` and answers health checks.
 */
export interface ServedServices {
  /** Registers `routes` on the router, in order, then records what the router serves. */
  collect(...routes: readonly ((router: ConnectRouter) => void)[]): (router: ConnectRouter) => void;
  /** The files declaring the served services, with their imports. */
  registry(): FileRegistry;
  /** Full names of the served services. */
  names(): readonly string[];
}

export function createServedServices(): ServedServices {
  let registry = createFileRegistry();
  let names: readonly string[] = [];
  return {
    collect(...routes) {
      return (router) => {
        for (const route of routes) route(router);
        const services = new Map(router.handlers.map((h) => [h.service.typeName, h.service]));
        names = [...services.keys()].sort();
        registry = fileRegistryOf(...new Set([...services.values()].map((s) => s.file)));
      };
    },
    registry: () => registry,
    names: () => names,
  };
}
