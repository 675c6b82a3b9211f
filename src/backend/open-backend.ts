import { AnykvError } from "../errors.js";
import type { Backend } from "./backend.js";
import { openLevelBackend } from "./leveldb-backend.js";
import { createMemoryBackend } from "./memory-backend.js";
import { redactUrl } from "./redact-url.js";

export { redactUrl };

/** How to open the backend a `--backend` / ANYKV_BACKEND value names. */
export interface OpenBackendOptions {
  /**
   * The LevelDB directory of `leveldb` without a path (`--data`).
   * @default "./data"
   */
  readonly data?: string;
  /**
   * LevelDB durability (`--sync`).
   * @default "always"
   */
  readonly sync?: "always" | "none";
  /**
   * LevelDB's record cache (`--cache-size`).
   * @default 64 MiB
   */
  readonly cacheBytes?: number;
}

/** An opened backend, and how to name it in logs and errors (never with a password). */
export interface OpenedBackend {
  readonly backend: Backend;
  /** "LevelDB in ./data", "memory (not persistent)", "redis://user:***@host:6379/0", … */
  readonly description: string;
}

/**
 * What a shared backend's module exports (src/backend/redis-backend.ts: `openRedisBackend`,
 * src/backend/postgres-backend.ts: `openPostgresBackend`): opens the engine the URL names, or
 * fails with UNAVAILABLE naming the URL without its password when it cannot be reached.
 */
export type OpenSharedBackend = (options: { readonly url: string }) => Promise<Backend>;

/** A parsed `--backend` value. */
export type BackendSpec =
  | { readonly kind: "leveldb"; readonly path: string }
  | { readonly kind: "memory" }
  | { readonly kind: "redis" | "postgres"; readonly url: string };

// The modules of the shared backends, imported only when their scheme is asked for, so that a
// LevelDB server never loads ioredis or pg.
const SHARED: Record<"redis" | "postgres", { module: string; open: string; name: string }> = {
  redis: { module: "./redis-backend.js", open: "openRedisBackend", name: "Redis" },
  postgres: { module: "./postgres-backend.js", open: "openPostgresBackend", name: "PostgreSQL" },
};

/**
 * Parses a `--backend` value: `leveldb:PATH` (or `leveldb` / `leveldb:` for `data`),
 * `memory:` (or `memory`), `redis://…`, `rediss://…`, `postgres://…` or `postgresql://…`.
 * Anything else is INVALID_ARGUMENT, naming the value without its password.
 */
export function parseBackendSpec(value: string, data = "./data"): BackendSpec {
  const v = value.trim();
  if (v === "leveldb" || v === "leveldb:") return { kind: "leveldb", path: data };
  if (v.startsWith("leveldb:")) return { kind: "leveldb", path: v.slice("leveldb:".length) };
  if (v === "memory" || v === "memory:") return { kind: "memory" };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
  if (scheme === "redis" || scheme === "rediss") return { kind: "redis", url: v };
  if (scheme === "postgres" || scheme === "postgresql") return { kind: "postgres", url: v };
  throw new AnykvError(
    "INVALID_ARGUMENT",
    `unknown backend "${redactUrl(v)}": use leveldb:PATH, memory:, redis://HOST[:PORT][/DB], rediss://… or postgres://HOST[:PORT]/DB`,
  );
}

/** Opens the backend a `--backend` value names. */
export async function openBackend(value: string, options: OpenBackendOptions = {}): Promise<OpenedBackend> {
  const spec = parseBackendSpec(value, options.data);
  switch (spec.kind) {
    case "memory":
      return { backend: createMemoryBackend(), description: "memory (not persistent)" };
    case "leveldb":
      return {
        backend: await openLevelBackend({
          location: spec.path,
          ...(options.sync ? { sync: options.sync } : {}),
          ...(options.cacheBytes !== undefined ? { cacheBytes: options.cacheBytes } : {}),
        }),
        description: `LevelDB in ${spec.path}`,
      };
    default: {
      const shared = SHARED[spec.kind];
      const description = redactUrl(spec.url);
      let open: OpenSharedBackend;
      try {
        const module = (await import(shared.module)) as Record<string, unknown>;
        const found = module[shared.open];
        if (typeof found !== "function") throw new Error(`${shared.module} has no ${shared.open}`);
        open = found as OpenSharedBackend;
      } catch (cause) {
        throw new AnykvError(
          "UNAVAILABLE",
          `the ${shared.name} backend is not available in this build of anykv (${description})`,
          { cause },
        );
      }
      try {
        return { backend: await open({ url: spec.url }), description };
      } catch (cause) {
        // The engine's own message may quote the URL: name it once, without its password.
        const reason = cause instanceof Error ? redactText(cause.message, spec.url) : String(cause);
        throw new AnykvError(
          "UNAVAILABLE",
          `cannot open the ${shared.name} backend at ${description}: ${reason}`,
        );
      }
    }
  }
}

/** `text` with `url` and its password replaced by their redacted forms. */
function redactText(text: string, url: string): string {
  let out = text.split(url).join(redactUrl(url));
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:([^/?#@]*)@/i.exec(url)?.[1];
  if (!password) return out;
  for (const form of [password, safeDecode(password)]) if (form) out = out.split(form).join("***");
  return out;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
