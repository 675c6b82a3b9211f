import { once } from "node:events";
import { type Command, Option } from "commander";
import type { UploadOptions } from "../../client/index.js";
import { type ClientContext, clientContext } from "../client-context.js";
import { isStdio, openBytes } from "../input.js";
import { keyInfoJson, printJson, printLine } from "../output.js";
import { createProgress } from "../progress.js";
import { durationSeconds, wholeNumber } from "../usage.js";

interface UploadFlags {
  contentType?: string;
  ttl?: number;
  ifRevision?: number;
  ifAbsent?: boolean;
}

/** upload and download: values of any size, in chunks, with progress. */
export function transferCommands(program: Command): void {
  program
    .command("upload")
    .description("store a file's bytes (- reads stdin) in chunks, of any size, with progress")
    .argument("<KEY>")
    .argument("<FILE>", "the file, or - for stdin")
    .option("--content-type <TYPE>", "MIME type of the bytes")
    .addOption(
      new Option(
        "--ttl <DURATION>",
        "time to live: 90 (seconds), 30s, 5m, 2h, 7d; 0 never expires",
      ).argParser(durationSeconds),
    )
    .addOption(
      new Option("--if-revision <N>", "only if the key is at this revision (else ABORTED)").argParser(
        wholeNumber(1),
      ),
    )
    .option("--if-absent", "only if the key does not exist (else ABORTED)")
    .action((key: string, file: string, flags: UploadFlags, command: Command) => {
      const { ifRevision, ifAbsent, ttl, contentType } = flags;
      return uploadValue(clientContext(command), key, file, {
        ...(ifRevision === undefined ? {} : { ifRevision }),
        ...(ifAbsent ? { ifAbsent } : {}),
        ...(ttl === undefined ? {} : { ttl }),
        ...(contentType === undefined ? {} : { contentType }),
      });
    });

  program
    .command("download")
    .description("write a key's stored bytes to a file (- writes stdout), checked against its sha256")
    .argument("<KEY>")
    .argument("<FILE>", "the file (written whole or not at all), or - for stdout")
    .action(async (key: string, file: string, _flags: unknown, command: Command) => {
      const ctx = clientContext(command);
      const progress = createProgress({ verb: "downloaded", unit: "bytes", enabled: ctx.progress });
      let last = { bytes: 0, total: undefined as number | undefined };
      const onProgress = (p: { bytes: number; total: number | undefined }) => {
        last = p;
        progress.update(p.bytes, p.total);
      };
      if (isStdio(file)) {
        for await (const chunk of ctx.store.download(key, { onProgress })) {
          if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
        }
        progress.finish(last.bytes, last.total);
        return;
      }
      const info = await ctx.store.getFile(key, file, { onProgress });
      progress.finish(last.bytes, last.total);
      if (ctx.output === "json") return printJson({ ...keyInfoJson(info), file }, true);
      return printLine(`downloaded ${key} to ${file} (${info.size} bytes)`);
    });
}

/** Uploads a file (or stdin) to `key` with progress, and says what was stored. */
export async function uploadValue(
  ctx: ClientContext,
  key: string,
  file: string,
  options: Omit<UploadOptions, "onProgress" | "size">,
): Promise<void> {
  const { stream, size } = await openBytes(file);
  const progress = createProgress({ verb: "uploaded", unit: "bytes", enabled: ctx.progress });
  const result = await ctx.store.upload(key, stream, {
    ...options,
    ...(size === undefined ? {} : { size }),
    onProgress: (p) => progress.update(p.bytes, p.total),
  });
  progress.finish(result.size, size);
  if (ctx.output === "json") return printJson({ ...keyInfoJson(result.info), sha256: result.sha256 }, true);
  return printLine(
    `stored ${key} (${result.size} bytes, sha256 ${result.sha256}, revision ${result.info.revision})`,
  );
}
