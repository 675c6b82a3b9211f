import { readFileSync } from "node:fs";
import type { Transport } from "@connectrpc/connect";
import { type Command, Option } from "commander";
import { type AnykvStore, createStore, createTransport } from "../client/index.js";
import type { OutputFormat } from "./output.js";
import { DEFAULT_URL, serverUrl } from "./usage.js";

/** Where the client commands connect, and how they print: the program's global options. */
export interface ClientContext {
  readonly url: string;
  readonly namespace: string;
  readonly output: OutputFormat;
  /** Progress lines on stderr: --progress, or stderr is a terminal. */
  readonly progress: boolean;
  readonly store: AnykvStore;
  /** The connection the store uses, for the other services (health). */
  readonly transport: Transport;
}

interface GlobalOptions {
  url: string;
  namespace: string;
  output: OutputFormat;
  progress?: boolean;
  token?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

/** The options every client command takes (before or after the command's name). */
export function addClientOptions(program: Command): void {
  program
    .addOption(
      new Option("--url <URL>", "the server (http://HOST:PORT; HOST:PORT gets http://)")
        .env("ANYKV_URL")
        .default(DEFAULT_URL)
        .argParser(serverUrl),
    )
    .addOption(
      new Option("-n, --namespace <NS>", "the namespace to work in").env("ANYKV_NAMESPACE").default(""),
    )
    .addOption(
      new Option("-o, --output <FORMAT>", "text for people, json for programs (JSON lines for streams)")
        .choices(["text", "json"])
        .default("text"),
    )
    .addOption(new Option("--progress", "show transfer progress on stderr even when it is not a terminal"))
    // A server with --auth-file, and TLS (https:// URLs): see docs/operations.md, "Security".
    .addOption(new Option("--token <TOKEN>", "bearer token for a server with --auth-file").env("ANYKV_TOKEN"))
    .addOption(
      new Option("--ca <FILE>", "PEM CA that signed the server's certificate (https)").env("ANYKV_CA"),
    )
    .addOption(
      new Option("--cert <FILE>", "PEM client certificate, for a server with --tls-client-ca").env(
        "ANYKV_CERT",
      ),
    )
    .addOption(new Option("--key <FILE>", "PEM key of --cert").env("ANYKV_KEY"));
}

/** The client context of a command's action: its global options, and a store client for them. */
export function clientContext(command: Command): ClientContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const file = (path: string | undefined) => (path === undefined ? undefined : readFileSync(path));
  const transport = createTransport(options.url, "grpc", {
    token: options.token,
    ca: file(options.ca),
    cert: file(options.cert),
    key: file(options.key),
  });
  return {
    url: options.url,
    namespace: options.namespace,
    output: options.output,
    progress: options.progress === true || process.stderr.isTTY === true,
    transport,
    store: createStore({ baseUrl: options.url, namespace: options.namespace, transport }),
  };
}
