import { parseArgs } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { type AnykvStore, createStore, type ModeName } from "../client/index.js";
import { parseDuration } from "../server/server-options.js";
import { createProgressReporter } from "./progress.js";

export const CLIENT_USAGE = `client commands (server: --url or ANYKV_URL, default http://127.0.0.1:50051):
  get KEY [--mode M] [--output FILE]    print a value (or download it to FILE, with progress)
  put KEY VALUE | --json JSON | --file FILE [--mode M] [--ttl DUR]
                                        store text, JSON, or a file's bytes (with progress)
  delete KEY                            delete a key
  info KEY                              print a key's metadata as JSON
  keys [PREFIX] [--glob G] [--limit N]  list keys, one per line
  every command takes --namespace NS`;

const OPTIONS = {
  url: { type: "string" },
  namespace: { type: "string" },
  mode: { type: "string" },
  ttl: { type: "string" },
  json: { type: "string" },
  file: { type: "string" },
  output: { type: "string" },
  glob: { type: "string" },
  limit: { type: "string" },
} as const;

/** `anykv get|put|delete|info|keys`: the typed client from a shell. */
export async function runClientCommand(command: string, argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
  const store = createStore({
    baseUrl: values.url ?? process.env.ANYKV_URL ?? "http://127.0.0.1:50051",
    ...(values.namespace ? { namespace: values.namespace } : {}),
  });
  const mode = values.mode as ModeName | undefined;
  const [key, text] = positionals;
  const needKey = (): string => {
    if (!key) throw new TypeError(`anykv ${command} needs a KEY`);
    return key;
  };
  try {
    switch (command) {
      case "get":
        return await get(store, needKey(), mode, values.output);
      case "put": {
        const ttl = values.ttl === undefined ? {} : { ttl: parseDuration(values.ttl) / 1000 };
        if (values.file) {
          const progress = createProgressReporter("uploaded");
          const result = await store.putFile(needKey(), values.file, { ...ttl, onProgress: progress.update });
          progress.done({ bytes: result.size, total: result.size });
          console.log(
            `stored ${key} (${result.size} bytes, sha256 ${result.sha256}, revision ${result.info.revision})`,
          );
          return;
        }
        const value = values.json === undefined ? text : (JSON.parse(values.json) as unknown);
        if (value === undefined) throw new TypeError("anykv put needs a VALUE, --json JSON or --file FILE");
        const info = await store.put(needKey(), value, { ...ttl, ...(mode ? { mode } : {}) });
        console.log(
          info
            ? `stored ${info.key} (revision ${info.revision})`
            : "skipped: the server does not store nulls",
        );
        return;
      }
      case "delete":
        console.log((await store.delete(needKey())) ? `deleted ${key}` : `${key} did not exist`);
        return;
      case "info":
        console.log(
          JSON.stringify(
            await store.info(needKey()),
            (_k, v) => (typeof v === "bigint" ? v.toString() : v),
            2,
          ),
        );
        return;
      case "keys":
        for await (const k of store.keys({
          ...(key ? { prefix: key } : {}),
          ...(values.glob ? { glob: values.glob } : {}),
          ...(values.limit ? { limit: Number(values.limit) } : {}),
        })) {
          console.log(k);
        }
        return;
      default:
        throw new TypeError(`unknown command "${command}"`);
    }
  } catch (err) {
    throw explain(err);
  }
}

async function get(store: AnykvStore, key: string, mode: ModeName | undefined, output: string | undefined) {
  if (output) {
    const progress = createProgressReporter("downloaded");
    let last = { bytes: 0, total: undefined as number | undefined };
    await store.getFile(key, output, {
      onProgress: (p) => {
        last = { bytes: p.bytes, total: p.total };
        progress.update(p);
      },
    });
    progress.done(last);
    return;
  }
  const value = await store.get(key, { trustCode: false, ...(mode ? { mode } : {}) });
  if (value instanceof Uint8Array) {
    await new Promise<void>((resolve) => process.stdout.write(value, () => resolve()));
  } else if (typeof value === "string") {
    console.log(value);
  } else {
    console.log(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  }
}

/** A ConnectError as a sentence for a person: what went wrong, and what to do about it. */
function explain(err: unknown): unknown {
  if (!(err instanceof ConnectError)) return err;
  const hint =
    err.code === Code.Unavailable
      ? " (is the server running? start it with `npm start`, or point --url / ANYKV_URL at it)"
      : "";
  return new TypeError(`${Code[err.code]}: ${err.rawMessage}${hint}`);
}
