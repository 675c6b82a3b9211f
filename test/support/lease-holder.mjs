// A process that holds a lease, for test/backend/postgres-advisory-lease.test.ts (run after
// global-setup built dist/): node lease-holder.mjs URL NAME TTL_MS RENEW_MS
// Prints "held" once it holds lease NAME, then renews it every RENEW_MS and prints what each
// renewal answers: "renewed", "lost" (another holder has it), or "error MESSAGE".
import { openPostgresBackend } from "../../dist/src/backend/postgres-backend.js";

const [url, name, ttlMs, renewMs] = process.argv.slice(2);
const backend = await openPostgresBackend({ url });
if (!(await backend.lease(name, "child", Number(ttlMs)))) {
  console.log("refused");
  process.exit(1);
}
console.log("held");
setInterval(async () => {
  const held = await backend.lease(name, "child", Number(ttlMs)).catch((err) => `error ${err.message}`);
  console.log(held === true ? "renewed" : held === false ? "lost" : held);
}, Number(renewMs));
