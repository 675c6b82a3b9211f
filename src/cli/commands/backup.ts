import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { createClient } from "@connectrpc/connect";
import type { Command } from "commander";
import { AdminService } from "../../../gen/anykv/v1/admin_pb.js";
import { clientContext } from "../client-context.js";
import { isStdio } from "../input.js";
import { printJson, printLine } from "../output.js";
import { createProgress } from "../progress.js";

/** backup and restore: the whole store through AdminService (admin access with auth on). */
export function backupCommands(program: Command): void {
  program
    .command("backup")
    .description("write a consistent snapshot of the whole store to FILE (- writes stdout), with progress")
    .argument("<FILE>", "the backup file (written whole or not at all), or - for stdout")
    .action(async (file: string, _flags: unknown, command: Command) => {
      const ctx = clientContext(command);
      const admin = createClient(AdminService, ctx.transport);
      const toStdout = isStdio(file);
      const partial = `${file}.partial`;
      const out = toStdout ? process.stdout : createWriteStream(partial);
      const progress = createProgress({ verb: "backed up", unit: "keys", enabled: ctx.progress });
      let bytes = 0;
      let records = 0;
      let total: number | undefined;
      try {
        for await (const res of admin.backup({})) {
          if (res.info) total = Number(res.info.records);
          records = Number(res.records);
          bytes += res.data.length;
          if (!out.write(res.data)) await once(out, "drain");
          progress.update(records, total, mib(bytes));
        }
        if (!toStdout) {
          out.end();
          await once(out, "finish");
          await rename(partial, file);
        }
      } catch (err) {
        if (!toStdout) {
          out.destroy();
          await rm(partial, { force: true });
        }
        throw err;
      }
      progress.finish(records, records, mib(bytes));
      if (toStdout) return;
      if (ctx.output === "json") return printJson({ file, records, bytes }, true);
      return printLine(`backed up ${records} records to ${file} (${bytes} bytes)`);
    });

  program
    .command("restore")
    .description("replace the store's contents with a backup from FILE (- reads stdin), with progress")
    .argument("<FILE>", "the backup file, or - for stdin")
    .action(async (file: string, _flags: unknown, command: Command) => {
      const ctx = clientContext(command);
      const admin = createClient(AdminService, ctx.transport);
      const fromStdin = isStdio(file);
      const size = fromStdin ? undefined : (await stat(file)).size;
      const source = fromStdin ? process.stdin : createReadStream(file, { highWaterMark: 1024 * 1024 });
      const progress = createProgress({ verb: "sent", unit: "bytes", enabled: ctx.progress });
      let sent = 0;
      async function* pieces() {
        for await (const data of source) {
          sent += (data as Buffer).length;
          progress.update(sent, size);
          yield { data: data as Buffer };
        }
        progress.finish(sent, sent, "the server checks the whole backup, then applies it");
      }
      const result = await admin.restore(pieces());
      const summary = {
        records: Number(result.records),
        backupRevision: Number(result.backupRevision),
        revision: Number(result.revision),
      };
      if (ctx.output === "json") return printJson(summary, true);
      return printLine(
        `restored ${summary.records} records (a backup of revision ${summary.backupRevision}; the store is now at revision ${summary.revision})`,
      );
    });
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
