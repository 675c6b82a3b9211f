export { routes } from "./routes.js";
export { type RunningServer, startServer } from "./server.js";
export { defaultServerOptions, resolveServerOptions, type ServerOptions } from "./server-options.js";
export { createStoreService, type StoreServiceDeps } from "./store-service.js";
