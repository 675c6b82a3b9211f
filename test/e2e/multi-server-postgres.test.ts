import { freshSchema, testPostgresUrl } from "../support/postgres-server.js";
import { multiServerSuite } from "./multi-server-suite.js";

// Issue 10 item 6 on PostgreSQL: three anykv processes on one schema of the run's cluster.
multiServerSuite({
  name: "PostgreSQL",
  backendUrl: async () => `${testPostgresUrl()}?schema=${freshSchema()}`,
});
