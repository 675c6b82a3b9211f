import { createClient } from "@connectrpc/connect";
import type { Command } from "commander";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { clientContext } from "../client-context.js";
import { printJson, printLine } from "../output.js";

/** health: grpc.health.v1's answer; exits 1 unless SERVING. */
export function healthCommands(program: Command): void {
  program
    .command("health")
    .description("print the server's health (SERVING, NOT_SERVING); exits 1 unless SERVING")
    .argument("[SERVICE]", 'a service name, e.g. anykv.v1.StoreService ("" is the whole server)', "")
    .action(async (service: string, _flags: unknown, command: Command) => {
      const ctx = clientContext(command);
      const res = await createClient(Health, ctx.transport).check({ service });
      const status = HealthCheckResponse_ServingStatus[res.status] ?? String(res.status);
      if (res.status !== HealthCheckResponse_ServingStatus.SERVING) process.exitCode = 1;
      return ctx.output === "json" ? printJson({ service, status }, true) : printLine(status);
    });
}
