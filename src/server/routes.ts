import type { ConnectRouter } from "@connectrpc/connect";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { createStoreService, type StoreServiceDeps } from "./store-service.js";

/** Registers anykv's services on a router; server.ts alone touches the network. */
export function routes(deps: StoreServiceDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(StoreService, createStoreService(deps));
  };
}
