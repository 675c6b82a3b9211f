import { type DescFile, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Backend } from "../backend/backend.js";
import {
  buildModelRegistry,
  emptyDefinitions,
  type JsonObject,
  type Model,
  type ModelChange,
  type ModelDefinitions,
  type ModelInfo,
  type ModelRegistry,
  normalizeFile,
  parseDescriptorSet,
  planDeletion,
  planRegistration,
  type Registration,
  sameFile,
} from "../codec/models/index.js";
import { AnykvError, isAnykvError } from "../errors.js";
import { createModelCatalog, type ModelCatalog } from "../store/model-catalog.js";

/**
 * The server's models: the current registry snapshot, changed one request at
 * a time and persisted in the store before the new snapshot is published.
 */
export interface Models {
  /** The current snapshot (immutable; each change replaces it). */
  current(): ModelRegistry;
  /** A registered model; MODEL_NOT_FOUND otherwise. */
  get(name: string): Model;
  /**
   * Takes in what other servers on the same backend changed: reloads the registry when one of
   * `names` is not registered here (at most once per `reloadIntervalMs`), and otherwise, at
   * most once per `reloadIntervalMs`, reads the catalog's version (one backend read) and
   * reloads when another server registered, replaced or deleted a model since. Concurrent
   * callers share one reload. Names still unknown afterwards are MODEL_NOT_FOUND for `get`.
   * Undefined when there is nothing to wait for (no reload due or running).
   */
  refresh(names: Iterable<string>): Promise<void> | undefined;
  /** Reloads the registry from the store now (after a restore replaced the stored models). */
  reload(): Promise<void>;
  /** Registers files and schemas (all or nothing); returns the models the request names. */
  register(input: Registration): Promise<readonly ModelInfo[]>;
  /** Deletes a model (a protobuf model with its file); undefined when there was none. */
  delete(name: string): Promise<readonly ModelInfo[] | undefined>;
  /**
   * The registered .proto files, dependencies first — for gRPC reflection.
   * Built-in files (well-known types, buf/validate) are not included.
   */
  files(): DescFile[];
  /** Calls `listener` with the new snapshot after every change; returns the unsubscribe. */
  onChange(listener: (registry: ModelRegistry) => void): () => void;
}

/** A serialized FileDescriptorSet, and where it came from (for error messages). */
export interface DescriptorSetFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface ModelsOptions {
  /**
   * Serialized FileDescriptorSets registered at start-up (`--models`), replacing stored
   * versions of the same files.
   * @default []
   */
  readonly descriptorSets?: readonly DescriptorSetFile[];
  /**
   * Shortest time between two reloads of the stored models for names this server lacks, and
   * between two reads of the catalog's version (how late another server's change may be seen).
   * @default 1000
   */
  readonly reloadIntervalMs?: number;
  /**
   * The clock of the reload interval, in milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** Loads the persisted models from the backend, then registers the start-up descriptor sets. */
export async function openModels(backend: Backend, options: ModelsOptions = {}): Promise<Models> {
  const catalog = createModelCatalog(backend);
  const reloadIntervalMs = options.reloadIntervalMs ?? 1000;
  const now = options.now ?? Date.now;
  let version = await catalog.version();
  let registry = buildModelRegistry(await loadDefinitions(catalog));
  const listeners = new Set<(registry: ModelRegistry) => void>();
  const publish = (next: ModelRegistry) => {
    registry = next;
    for (const listener of listeners) listener(registry);
  };
  let queue: Promise<unknown> = Promise.resolve();

  /** Changes run one at a time: each plans against the snapshot the previous one left. */
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const apply = async (change: ModelChange) => {
    version = await catalog.write({
      putFiles: change.putFiles.map((f) => [f.name, toBinary(FileDescriptorProtoSchema, f)] as const),
      putSchemas: change.putSchemas.map(([name, schema]) => [name, JSON.stringify(schema)] as const),
      deleteFiles: change.deleteFiles,
      deleteSchemas: change.deleteSchemas,
    });
    publish(change.next);
  };
  /**
   * Takes in what other servers on the same backend changed. Runs in the queue, so that no
   * change of this server is lost; changes plan against what it loads.
   */
  const reload = async () => {
    // The version first: a change landing during the load is seen again at the next check.
    version = await catalog.version();
    const definitions = await loadDefinitions(catalog, registry.definitions);
    if (!sameDefinitions(definitions, registry.definitions))
      publish(buildModelRegistry(definitions, registry));
  };
  let reloading: Promise<void> | undefined;
  let lastReload = Number.NEGATIVE_INFINITY;
  let lastVersionCheck = now();
  const reloadIfChanged = async () => {
    if ((await catalog.version()) !== version) await reload();
  };

  const models: Models = {
    current: () => registry,
    get(name) {
      const model = registry.get(name);
      if (!model) {
        throw new AnykvError(
          "MODEL_NOT_FOUND",
          `model "${name}" is not registered; register it with anykv.v1.ModelService/RegisterModels`,
        );
      }
      return model;
    },
    refresh(names) {
      const t = now();
      let missing = false;
      for (const name of names) missing ||= name !== "" && registry.get(name) === undefined;
      const full = missing && t - lastReload >= reloadIntervalMs;
      if (!full && t - lastVersionCheck < reloadIntervalMs) return reloading;
      if (reloading) return reloading;
      lastVersionCheck = t;
      if (full) lastReload = t;
      reloading = serialized(full ? reload : reloadIfChanged).finally(() => {
        reloading = undefined;
      });
      return reloading;
    },
    reload: () => serialized(reload),
    register: (input) =>
      serialized(async () => {
        await reload();
        const change = planRegistration(registry, input);
        if (change.putFiles.length > 0 || change.putSchemas.length > 0) await apply(change);
        return change.models;
      }),
    delete: (name) =>
      serialized(async () => {
        await reload();
        const change = planDeletion(registry, name);
        if (!change) return undefined;
        await apply(change);
        return change.models;
      }),
    files: () => registry.files(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  for (const set of options.descriptorSets ?? []) {
    try {
      await models.register({ files: parseDescriptorSet(set.bytes), schemas: [], replace: true });
    } catch (err) {
      if (isAnykvError(err)) throw new AnykvError(err.code, `${set.name}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return models;
}

/**
 * The stored definitions. Entries equal to `previous` ones are `previous`'s objects, so that
 * the registry reuses their compiled schemas and an unchanged catalog is seen as unchanged.
 */
async function loadDefinitions(
  catalog: ModelCatalog,
  previous: ModelDefinitions = emptyDefinitions,
): Promise<ModelDefinitions> {
  const stored = await catalog.load();
  const files = new Map<string, FileDescriptorProto>();
  for (const [name, bytes] of stored.files) {
    const file = normalizeFile(fromBinary(FileDescriptorProtoSchema, bytes));
    const known = previous.files.get(name);
    files.set(name, known && sameFile(known, file) ? known : file);
  }
  const schemas = new Map<string, JsonObject>();
  for (const [name, text] of stored.schemas) {
    const known = previous.schemas.get(name);
    schemas.set(name, known && JSON.stringify(known) === text ? known : (JSON.parse(text) as JsonObject));
  }
  return { files, schemas };
}

function sameDefinitions(a: ModelDefinitions, b: ModelDefinitions): boolean {
  const same = <V>(x: ReadonlyMap<string, V>, y: ReadonlyMap<string, V>) =>
    x.size === y.size && [...x].every(([name, value]) => y.get(name) === value);
  return same(a.files, b.files) && same(a.schemas, b.schemas);
}
