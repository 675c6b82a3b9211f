import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Command, Option } from "commander";
import type { PutManyItemSchema } from "../../../gen/anykv/v1/store_pb.js";
import { Mode, type Value, ValueSchema } from "../../../gen/anykv/v1/value_pb.js";
import { listRequest } from "../../client/bulk-client.js";
import { toKeyInfo } from "../../client/store-client.js";
import { type ClientContext, clientContext } from "../client-context.js";
import {
  type ExportRecord,
  exportRecord,
  INDEX_FILE,
  importTtl,
  parseRecord,
  recordValue,
  SPILL_DIR,
  spillPath,
  storedAs,
} from "../export-format.js";
import { isStdio } from "../input.js";
import { printJson, printLine } from "../output.js";
import { createProgress } from "../progress.js";
import { UsageError } from "../usage.js";
import { listedValues } from "../wire.js";

interface ExportFlags {
  dir?: string;
  prefix?: string;
  glob?: string;
  excludePrefix?: string;
}

interface ImportFlags {
  dir?: string;
  expiry: "absolute" | "remaining";
}

/** export and import: keys with their values, kinds and TTLs, as JSON lines or a directory. */
export function exportImportCommands(program: Command): void {
  program
    .command("export")
    .description("write keys with their values, kinds and TTLs as JSON lines (or a directory with --dir)")
    .argument("[FILE]", "the JSON lines file (written whole or not at all), or - for stdout")
    .option("--dir <DIR>", "write a new directory: a file per raw, text or JSON value, and an index")
    .option("--prefix <PREFIX>", "only keys under this path prefix")
    .option("--glob <PATTERN>", "only keys matching this glob")
    .option("--exclude-prefix <PREFIX>", "leave out keys under this prefix")
    .action(async (file: string | undefined, flags: ExportFlags, command: Command) => {
      if ((file === undefined) === (flags.dir === undefined))
        throw new UsageError("export writes to FILE (- for stdout) or to --dir DIR, one of the two");
      await exportKeys(clientContext(command), file, flags);
    });

  program
    .command("import")
    .description("store the keys of an export (JSON lines or --dir), keeping their kinds and TTLs")
    .argument("[FILE]", "JSON lines as export writes them, or - for stdin")
    .option("--dir <DIR>", "read a directory export; a directory without an index: every file as bytes")
    .addOption(
      new Option(
        "--expiry <HOW>",
        "absolute: keys expire when they would have (expired ones are skipped); remaining: each gets the time it had left when exported",
      )
        .choices(["absolute", "remaining"])
        .default("absolute"),
    )
    .action(async (file: string | undefined, flags: ImportFlags, command: Command) => {
      if ((file === undefined) === (flags.dir === undefined))
        throw new UsageError("import reads FILE (- for stdin) or --dir DIR, one of the two");
      await importKeys(clientContext(command), file, flags);
    });
}

async function exportKeys(ctx: ClientContext, file: string | undefined, flags: ExportFlags): Promise<void> {
  const list = {
    ...(flags.prefix ? { prefix: flags.prefix } : {}),
    ...(flags.glob ? { glob: flags.glob } : {}),
    ...(flags.excludePrefix ? { excludePrefix: flags.excludePrefix } : {}),
  };
  // The total for the rate and time left: a pass over the keys alone, much cheaper than values.
  let total: number | undefined;
  if (ctx.progress) {
    total = 0;
    for await (const _ of ctx.store.keys(list)) total++;
  }
  const progress = createProgress({ verb: "exported", unit: "keys", enabled: ctx.progress });
  const sink = flags.dir === undefined ? await lineSink(file!) : await directorySink(flags.dir);
  let count = 0;
  let failed = 0;
  let bytes = 0;
  try {
    const stream = listedValues(ctx.store, {
      namespace: ctx.namespace,
      ...listRequest(list),
      mode: Mode.AUTO,
    });
    for await (const item of stream) {
      const info = toKeyInfo(item.info!);
      const now = Date.now();
      const result = item.result;
      if (result.case === "value") {
        await sink.write(exportRecord(item.key, info, result.value, now), result.value);
      } else if (
        result.case === "error" &&
        result.value.code === Code.ResourceExhausted &&
        info.kind === "raw"
      ) {
        // A value stored in chunks (Upload) does not fit one message: its bytes, by Download.
        await sink.writeLarge(
          item.key,
          { key: item.key, ...storedAs(info, now) },
          ctx.store.download(item.key),
        );
      } else {
        failed++;
        const { code, message } = result.value ?? {
          code: Code.Internal,
          message: "the server sent no value",
        };
        process.stderr.write(`anykv: ${item.key}: ${Code[code]}: ${message}\n`);
        continue;
      }
      count++;
      bytes += info.size;
      progress.update(count, total, mib(bytes));
    }
    await sink.close();
  } catch (err) {
    await sink.abort();
    throw err;
  }
  progress.finish(count, total, mib(bytes));
  if (failed > 0) process.exitCode = 1;
  const where = flags.dir ?? file!;
  if (isStdio(where)) return;
  if (ctx.output === "json") return printJson({ exported: count, failed, to: where }, true);
  return printLine(`exported ${count} keys to ${where}${failed ? ` (${failed} failed, above)` : ""}`);
}

interface Sink {
  write(record: ExportRecord, value: Value): Promise<void>;
  writeLarge(key: string, record: ExportRecord, bytes: AsyncIterable<Uint8Array>): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** JSON lines to stdout, or to FILE.partial renamed to FILE when complete. */
async function lineSink(file: string): Promise<Sink> {
  const partial = `${file}.partial`;
  const out: NodeJS.WritableStream | WriteStream = isStdio(file)
    ? process.stdout
    : createWriteStream(partial);
  const line = (record: ExportRecord) =>
    new Promise<void>((resolve, reject) =>
      out.write(`${JSON.stringify(record)}\n`, (err) => (err ? reject(err) : resolve())),
    );
  return {
    write: (record) => line(record),
    async writeLarge(_key, record, bytes) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of bytes) chunks.push(chunk);
      await line({ ...record, value: { raw: Buffer.concat(chunks).toString("base64") } });
    },
    async close() {
      if (isStdio(file)) return;
      await new Promise<void>((resolve, reject) =>
        (out as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
      await rename(partial, file);
    },
    async abort() {
      if (isStdio(file)) return;
      (out as WriteStream).destroy();
      await rm(partial, { force: true });
    },
  };
}

/** A new directory: raw, text and JSON values as files at their keys' paths, and the index. */
async function directorySink(dir: string): Promise<Sink> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0)
    throw new UsageError(`${dir} is not empty: export into a new directory`);
  const index = createWriteStream(join(dir, INDEX_FILE), { flags: "wx" });
  const indexLine = (record: ExportRecord) =>
    new Promise<void>((resolve, reject) =>
      index.write(`${JSON.stringify(record)}\n`, (err) => (err ? reject(err) : resolve())),
    );
  /** Writes a key's file at its path, or in the spill directory when that path is taken. */
  const place = async (key: string, content: Uint8Array | AsyncIterable<Uint8Array>): Promise<string> => {
    for (const path of [key, spillPath(key)]) {
      const target = resolve(dir, path);
      if (!target.startsWith(resolve(dir) + sep)) continue;
      try {
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, content, { flag: "wx" });
        return relative(dir, target).split(sep).join("/");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EEXIST" && code !== "ENOTDIR" && code !== "EISDIR") throw err;
      }
    }
    throw new Error(`cannot place key "${key}" in ${dir}`);
  };
  return {
    async write(record, value) {
      const kind = value.kind;
      const content =
        kind.case === "raw"
          ? kind.value
          : kind.case === "text"
            ? Buffer.from(kind.value)
            : kind.case === "json"
              ? Buffer.from(`${JSON.stringify((record.value as { json: unknown }).json, undefined, 2)}\n`)
              : undefined;
      if (content === undefined) return indexLine(record);
      const { value: _inline, ...rest } = record;
      await indexLine({ ...rest, file: await place(record.key, content) });
    },
    async writeLarge(key, record, bytes) {
      await indexLine({ ...record, file: await place(key, bytes) });
    },
    close: () =>
      new Promise<void>((resolve, reject) =>
        index.end((err?: Error | null) => (err ? reject(err) : resolve())),
      ),
    async abort() {
      index.destroy();
    },
  };
}

const BATCH_ITEMS = 100;
const BATCH_BYTES = 1024 * 1024;

const MODE_OF_CODEC: Readonly<Record<string, Mode>> = { raw: Mode.RAW, json: Mode.JSON, pickle: Mode.PICKLE };

type PutItem = MessageInitShape<typeof PutManyItemSchema>;

async function importKeys(ctx: ClientContext, file: string | undefined, flags: ImportFlags): Promise<void> {
  const source = flags.dir === undefined ? lineSource(file!) : await directorySource(flags.dir);
  const progress = createProgress({ verb: "imported", unit: source.unit, enabled: ctx.progress });
  let imported = 0;
  let expired = 0;
  let failed = 0;
  let batch: PutItem[] = [];
  let batchBytes = 0;
  const fail = (key: string, err: { code: Code; message: string }) => {
    failed++;
    process.stderr.write(`anykv: ${key}: ${Code[err.code]}: ${err.message}\n`);
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const res = await ctx.store.rpc.putMany({ namespace: ctx.namespace, items: batch });
    for (const r of res.results) {
      if (r.result.case === "error") fail(r.key, r.result.value);
      else imported++;
    }
    batch = [];
    batchBytes = 0;
  };
  let read = 0;
  let total: number | undefined;
  for await (const item of source.records()) {
    const { record, where, size, open } = item;
    total = item.total;
    const ttl = importTtl(record, flags.expiry, Date.now());
    if (ttl === undefined) {
      expired++;
    } else if (record.kind === "raw" && record.codec === "raw" && record.model === undefined) {
      // Bytes go by Upload: any size, and the content type is kept.
      const bytes = open ? open() : rawBytes(recordValue(record, where));
      try {
        await ctx.store.upload(record.key, bytes, {
          ttl,
          ...(record.contentType ? { contentType: record.contentType } : {}),
        });
        imported++;
      } catch (err) {
        if (!(err instanceof ConnectError)) throw err;
        fail(record.key, { code: err.code, message: err.rawMessage });
      }
    } else {
      const value = open ? await fileValue(record, open, where) : recordValue(record, where);
      batch.push({
        key: record.key,
        value,
        mode: MODE_OF_CODEC[record.codec] ?? Mode.AUTO,
        model: record.model ?? "",
        ttl: { seconds: BigInt(Math.trunc(ttl)), nanos: Math.round((ttl % 1) * 1e9) },
      });
      batchBytes += size;
      if (batch.length >= BATCH_ITEMS || batchBytes >= BATCH_BYTES) await flush();
    }
    read = item.done();
    progress.update(read, total, `${imported + batch.length} keys`);
  }
  await flush();
  progress.finish(read, total, `${imported} keys`);
  if (failed > 0) process.exitCode = 1;
  if (ctx.output === "json") return printJson({ imported, expired, failed }, true);
  const notes = [
    expired ? `${expired} expired, skipped` : "",
    failed ? `${failed} failed, above` : "",
  ].filter(Boolean);
  return printLine(`imported ${imported} keys${notes.length ? ` (${notes.join("; ")})` : ""}`);
}

function rawBytes(value: Value): Uint8Array {
  if (value.kind.case !== "raw") throw new Error(`a raw record holds ${value.kind.case} in its value`);
  return value.kind.value;
}

/** A directory record's value, from its file: text, or JSON. */
async function fileValue(
  record: ExportRecord,
  open: () => AsyncIterable<Uint8Array>,
  where: string,
): Promise<Value> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of open()) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  if (record.kind === "raw")
    return create(ValueSchema, { kind: { case: "raw", value: new Uint8Array(Buffer.concat(chunks)) } });
  if (record.kind === "text") return create(ValueSchema, { kind: { case: "text", value: text } });
  if (record.kind === "json") return recordValue({ ...record, value: { json: JSON.parse(text) } }, where);
  throw new Error(`${where}: a file holds raw, text or JSON values, not ${record.kind}`);
}

interface SourceItem {
  readonly record: ExportRecord;
  readonly where: string;
  /** About how many bytes the record takes in a request. */
  readonly size: number;
  /** The value's file, for directory records. */
  readonly open?: () => AsyncIterable<Uint8Array>;
  /** How far the source has been read, in its unit. */
  done(): number;
  readonly total: number | undefined;
}

interface Source {
  readonly unit: "bytes" | "keys";
  records(): AsyncIterable<SourceItem>;
}

/** The records of a JSON lines file (or stdin); progress counts its bytes. */
function lineSource(file: string): Source {
  return {
    unit: "bytes",
    async *records() {
      const input = isStdio(file) ? process.stdin : createReadStream(file);
      const total = isStdio(file) ? undefined : (await stat(file)).size;
      let read = 0;
      input.on("data", (chunk: Buffer | string) => {
        read += chunk.length;
      });
      let number = 0;
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
        number++;
        if (line.trim() === "") continue;
        const where = `${isStdio(file) ? "stdin" : file} line ${number}`;
        yield { record: parseRecord(line, where), where, size: line.length, done: () => read, total };
      }
    },
  };
}

/** A directory export (its index), or any directory: each file as bytes under its path. */
async function directorySource(dir: string): Promise<Source> {
  const root = resolve(dir);
  const inside = (path: string, where: string) => {
    const target = resolve(root, path);
    if (!target.startsWith(root + sep)) throw new Error(`${where}: file ${path} is outside ${dir}`);
    return target;
  };
  const indexPath = join(root, INDEX_FILE);
  const hasIndex = await stat(indexPath).then(
    () => true,
    () => false,
  );
  const lines = hasIndex
    ? (await readFile(indexPath, "utf8")).split("\n").map((line, i) => ({ line, number: i + 1 }))
    : [];
  const files = hasIndex ? [] : await filesUnder(root);
  const total = hasIndex ? lines.filter((l) => l.line.trim() !== "").length : files.length;
  let done = 0;
  return {
    unit: "keys",
    async *records() {
      if (hasIndex) {
        for (const { line, number } of lines) {
          if (line.trim() === "") continue;
          const where = `${join(dir, INDEX_FILE)} line ${number}`;
          const record = parseRecord(line, where);
          const path = record.file === undefined ? undefined : inside(record.file, where);
          done++;
          yield {
            record,
            where,
            size: path ? (await stat(path)).size : line.length,
            ...(path ? { open: () => createReadStream(path) } : {}),
            done: () => done,
            total,
          };
        }
        return;
      }
      for (const path of files) {
        const key = relative(root, path).split(sep).join("/");
        done++;
        yield {
          record: { key, file: key, kind: "raw", codec: "raw" },
          where: path,
          size: (await stat(path)).size,
          open: () => createReadStream(path),
          done: () => done,
          total,
        };
      }
    },
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === SPILL_DIR) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
