import type { ConnectRouter } from "@connectrpc/connect";
import { AdminService } from "../../gen/anykv/v1/admin_pb.js";
import { ModelService } from "../../gen/anykv/v1/model_pb.js";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { createAdminService } from "./admin-service.js";
import { withModelRefresh } from "./model-refresh.js";
import { createModelService } from "./model-service.js";
import { createStoreService, type StoreServiceDeps } from "./store-service.js";

/** Registers anykv's services on a router; server.ts alone touches the network. */
export function routes(deps: StoreServiceDeps): (router: ConnectRouter) => void {
  return (router) => {
    const store = createStoreService(deps);
    // Requests that name a model this server lacks reload the registry first (model-refresh.ts).
    router.service(
      StoreService,
      deps.models ? withModelRefresh(StoreService, store, deps.models, deps.defaultModel) : store,
    );
    if (deps.models) router.service(ModelService, createModelService(deps.models));
    router.service(
      AdminService,
      createAdminService({
        store: deps.store,
        models: deps.models,
        readOnly: deps.readOnly ?? false,
        exclusiveWrites: deps.exclusiveWrites,
      }),
    );
  };
}
